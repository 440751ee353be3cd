"""Numbers on pages in the reader's language (issue 18): counts and sizes grouped and pointed as
Spanish and Arabic write them (Babel's CLDR data), the plural still chosen by the number."""

from __future__ import annotations

import io
import random
import re

from babel.numbers import format_decimal
from PIL import Image
from sqlalchemy import select

from helpdesk.extensions import db
from helpdesk.models import Evidence
from tests.integration.test_verified_recovery import request_until_evidence, send_evidence


def noisy_png() -> bytes:
    """A photo that stays tens of KB after re-encoding, so its size has a fraction to write."""
    noise = random.Random(18)
    image = Image.new("RGB", (160, 120))
    image.putdata(
        [(noise.randrange(256), noise.randrange(256), noise.randrange(256)) for _ in range(160 * 120)]
    )
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_the_size_of_evidence_is_written_in_the_staff_member_s_language(
    app, client, account, helper, outbox_dir
):
    request_until_evidence(client, outbox_dir)
    send_evidence(client, selfie=(noisy_png(), "me.png"))
    with app.app_context():
        selfie = db.session.scalars(select(Evidence).where(Evidence.kind == "selfie")).one()
        request_id, kilobytes = selfie.request_id, round(selfie.size / 1024, 1)
    assert kilobytes > 10 and kilobytes != int(kilobytes)
    pages = {
        language: helper.get(f"/staff/requests/{request_id}", headers={"Accept-Language": language}).get_data(
            as_text=True
        )
        for language in ("en", "es", "ar")
    }
    spanish = format_decimal(kilobytes, locale="es")
    assert "," in spanish and f"{spanish} KB" in pages["es"]  # "117,3 KB"
    assert f"{format_decimal(kilobytes, locale='en')} KB" in pages["en"]  # "117.3 KB"
    assert format_decimal(kilobytes, locale="ar") in pages["ar"]
    assert not re.search(r"\d+\.\d KB", pages["es"])
