"""An owner downloads everything kept about their account, after confirming it's them."""

from __future__ import annotations

import json

from sqlalchemy import select

from helpdesk.extensions import db
from helpdesk.models import AuditEntry
from tests.conftest import DEMO_PASSWORD
from tests.integration.test_sign_in import sign_in
from tests.support import confirm_its_you


def test_the_owner_downloads_their_data_after_confirming_it_is_them(app, client, account):
    sign_in(client, "pat@example.org", "wrong password here")
    sign_in(client, "pat@example.org", DEMO_PASSWORD)
    with app.app_context():
        from datetime import timedelta

        from helpdesk.accounts.directory import directory
        from helpdesk.models import SignInSession, utcnow

        # the proof a sign-in gives is a few minutes old: the download asks again
        db.session.execute(db.update(SignInSession).values(reauthenticated_at=utcnow() - timedelta(hours=1)))
        db.session.commit()
        assert directory().get(account.id) is not None
    asked = client.get("/account/my-data")
    assert asked.status_code == 303 and asked.location.startswith("/account/confirm")
    confirm_its_you(client, DEMO_PASSWORD, next_url="/account/my-data")
    download = client.get("/account/my-data")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"] == 'attachment; filename="my-data.json"'
    assert download.headers["Cache-Control"] == "no-store"
    data = json.loads(download.get_data(as_text=True))
    assert data["account"]["email"] == "pat@example.org"
    results = [line["result"] for line in data["history"]]
    assert "wrong-password" in results and "ok" in results
    assert data["signed_in_browsers"] and data["devices"]
    text = download.get_data(as_text=True)
    assert "argon2" not in text and "password_hash" not in text and "totp" not in text
    with app.app_context():
        assert db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "account.data-exported")
        ).one()


def test_the_download_needs_a_sign_in(client):
    assert client.get("/account/my-data").status_code == 302
