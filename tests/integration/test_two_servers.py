"""No state on one machine's disk: two gunicorn servers, each with an instance folder of its own
(as two machines would have), share one PostgreSQL database, one Redis, the secret key and a copy
of the keyring file, and one content folder. One browser (one cookie jar) goes to either server,
as behind a load balancer; what one server did, the other sees."""

from __future__ import annotations

import io
import re
import shutil
import time
from pathlib import Path

import pyotp
import pytest
import redis
import requests
from PIL import Image
from sqlalchemy import select

from helpdesk.accounts.directory import directory
from helpdesk.extensions import db
from helpdesk.keys import add_version, keyring
from helpdesk.models import Diagnosis, Evidence
from tests.conftest import DEMO_PASSWORD, ROOT, build_app, make_staff
from tests.mailbox import outbox, text_of
from tests.support import app_servers, csrf_from

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

SECRET = "two-servers-shared-secret-key"
START_LIMIT = 60  # POST /api/v1/diagnoses: "60 per hour" per address


def photo(format_: str, size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "navy").save(out, format=format_)
    return out.getvalue()


def form(browser: requests.Session, url: str) -> str:
    """The CSRF token of the form at *url*."""
    page = browser.get(url, timeout=30)
    assert page.status_code == 200, (url, page.status_code)
    return csrf_from(page.text)


def contact_code(outbox_dir: Path) -> str:
    return re.search(r"^\s+(\d{6})$", text_of(outbox(outbox_dir)[-1]), re.M).group(1)


def start_diagnosis(url: str) -> int:
    return requests.post(url + "/api/v1/diagnoses", json={"flow": "wrong-password"}, timeout=30).status_code


def eventually(condition, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


@pytest.mark.timeout(400)  # two servers start, take ~80 requests and notice an edit: slow when loaded
def test_two_servers_with_separate_instance_folders_serve_as_one_site(tmp_path: Path, redis_url: str):
    content, flows = tmp_path / "content", tmp_path / "flows"  # the one content folder both serve
    shutil.copytree(ROOT / "content", content)
    shutil.copytree(ROOT / "flows", flows)
    instances = [tmp_path / "machine-a", tmp_path / "machine-b"]
    setup = build_app(
        tmp_path, instance_dir=instances[0], secret_key=SECRET, content_dir=content, flows_dir=flows
    )
    with setup.app_context():
        add_version(keyring(), instances[0] / "keyring")  # a rotated site: keys v1 and v2
        instances[1].mkdir()
        shutil.copy2(instances[0] / "keyring", instances[1] / "keyring")  # the operator copies it
        database_url = db.engine.url.render_as_string(hide_password=False)
    with setup.test_request_context():
        directory().create("pat@example.org", DEMO_PASSWORD)
    staff_secret = make_staff(setup, "helper@example.org", "staff")
    redis.Redis.from_url(redis_url).flushdb()
    shared = {
        "HELPDESK_SECRET_KEY": SECRET,
        "HELPDESK_DATABASE_URL": database_url,
        "HELPDESK_REDIS_URL": redis_url,
        "HELPDESK_CONTENT_DIR": str(content),
        "HELPDESK_FLOWS_DIR": str(flows),
        "HELPDESK_RELOAD_SECONDS": "1",
        "HELPDESK_ANSWER_FLOOR_MS": "0",
        "HELPDESK_SUPPORT_EMAIL": "help@example.org",
        "HELPDESK_SITE_NAME": "Example Help",
    }
    envs = [{**shared, "HELPDESK_INSTANCE_DIR": str(folder)} for folder in instances]
    started = time.monotonic()
    with app_servers(envs) as (a, b):
        print(f"two servers up in {time.monotonic() - started:.1f} s")
        browser = requests.Session()  # cookies are per host, not per port: both servers get them

        # a recovery request with evidence, sent through A ...
        token = form(browser, a + "/recovery/request")
        sent = browser.post(
            a + "/recovery/request",
            data={
                "csrf_token": token,
                "account_email": "pat@example.org",
                "contact_email": "new@example.net",
            },
            allow_redirects=False,
            timeout=30,
        )
        assert sent.headers["Location"] == "/recovery/request/contact"
        token = form(browser, a + "/recovery/request/contact")
        code = contact_code(instances[0] / "outbox")  # A mailed it (its own outbox folder)
        checked = browser.post(
            a + "/recovery/request/contact",
            data={"csrf_token": token, "code": code},
            allow_redirects=False,
            timeout=30,
        )
        assert checked.headers["Location"] == "/recovery/request/evidence"
        token = form(browser, a + "/recovery/request/evidence")
        uploaded = browser.post(
            a + "/recovery/request/evidence",
            data={"csrf_token": token, "consent": "yes", "last_sign_in": "", "device": ""},
            files={
                "id-document": ("id.jpg", photo("JPEG", (64, 48)), "image/jpeg"),
                "selfie": ("me.png", photo("PNG", (40, 40)), "image/png"),
            },
            allow_redirects=False,
            timeout=60,
        )
        assert uploaded.headers["Location"] == "/recovery/request/done", uploaded.text[-2000:]
        assert not (instances[0] / "evidence").exists()  # nothing kept on A's disk

        # ... is reviewed through B, the photos shown
        staff = requests.Session()
        token = form(staff, b + "/login")
        staff.post(
            b + "/login",
            data={"csrf_token": token, "email": "helper@example.org", "password": DEMO_PASSWORD},
            timeout=30,
        )
        signed_in = staff.post(
            b + "/login",
            data={"csrf_token": token, "code": pyotp.TOTP(staff_secret).now()},
            allow_redirects=False,
            timeout=30,
        )
        assert signed_in.status_code == 303, signed_in.text[-2000:]
        with setup.app_context():
            files = {e.kind: e.id for e in db.session.scalars(select(Evidence))}
            request_id = db.session.scalar(select(Evidence.request_id))
        review = staff.get(f"{b}/staff/requests/{request_id}", timeout=30)
        assert review.status_code == 200
        for kind, content_type, size in (
            ("id-document", "image/jpeg", (64, 48)),
            ("selfie", "image/png", (40, 40)),
        ):
            assert f'<img src="/staff/evidence/{files[kind]}"' in review.text
            shown = staff.get(f"{b}/staff/evidence/{files[kind]}", timeout=30)
            assert shown.status_code == 200 and shown.headers["Content-Type"] == content_type
            assert Image.open(io.BytesIO(shown.content)).size == size

        # a diagnosis started on A is answered on B
        first = browser.get(a + "/diagnose/wrong-password", allow_redirects=False, timeout=30)
        assert first.status_code == 303
        step = first.headers["Location"]
        token = form(browser, a + step)
        answered = browser.post(
            b + step, data={"csrf_token": token, "answer": "capitals"}, allow_redirects=False, timeout=30
        )
        assert (
            answered.status_code == 303
            and answered.headers["Location"] == "/diagnose/wrong-password/fix-caps-lock"
        )
        assert browser.get(b + answered.headers["Location"], timeout=30).status_code == 200
        with setup.app_context():
            diagnosis = db.session.scalar(select(Diagnosis).where(Diagnosis.flow_id == "wrong-password"))
            assert diagnosis.path[-2:] == ["show-password", "fix-caps-lock"]

        # a live edit of the shared content reaches both servers
        article = content / "public-wifi.md"
        article.write_text(article.read_text() + "\nChecked on two servers.\n")
        edited = time.monotonic()
        for server in (a, b):
            assert eventually(
                lambda server=server: (
                    "Checked on two servers"
                    in requests.get(server + "/articles/public-wifi", timeout=30).text
                )
            ), f"{server} never showed the edit"
        print(f"the edit was live on both servers after {time.monotonic() - edited:.1f} s")

        # one rate limit: half of the allowance through each server, and then both refuse
        redis.Redis.from_url(redis_url).flushdb()
        statuses = [start_diagnosis(a if n % 2 else b) for n in range(START_LIMIT)]
        assert statuses == [201] * START_LIMIT
        assert start_diagnosis(a) == 429
        assert start_diagnosis(b) == 429
    print(f"the whole test with both servers: {time.monotonic() - started:.1f} s")
