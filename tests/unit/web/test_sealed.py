"""Values sealed into the cookie session: unreadable, tamper-proof, and only for a while."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from flask import session

from helpdesk.models import utcnow
from helpdesk.web.sealed import seal, unseal


def test_a_sealed_value_opens_again_and_is_not_readable(app):
    with app.test_request_context():
        seal("k", {"secret": "JBSWY3DPEHPK3PXP", "session": 7})
        assert "JBSWY3DPEHPK3PXP" not in session["k"]
        assert unseal("k", max_age=60) == {"secret": "JBSWY3DPEHPK3PXP", "session": 7}


def test_a_sealed_value_opens_only_within_its_age(app):
    with app.test_request_context(), time_machine.travel(utcnow(), tick=False) as clock:
        seal("k", "token")
        clock.shift(timedelta(seconds=61))
        assert unseal("k", max_age=60) is None


def test_a_changed_missing_or_foreign_value_opens_to_nothing(app, tmp_path):
    from tests.conftest import build_app

    with app.test_request_context():
        assert unseal("k", max_age=60) is None
        session["k"] = "not sealed at all"
        assert unseal("k", max_age=60) is None
        seal("k", "token")
        sealed = session["k"]
        session["k"] = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
        assert unseal("k", max_age=60) is None
        seal("k", "token")
        sealed = session["k"]
    other = build_app(tmp_path / "other", secret_key="another-secret-key")
    with other.test_request_context():
        session["k"] = sealed
        assert unseal("k", max_age=60) is None
