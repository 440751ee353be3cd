"""What the site serves as files: the styles and scripts in static/ and article images, nothing
else: no folder listings, no repository, instance or hidden files (ASVS 4.3.2, 12.5.1)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_no_folder_is_listed_and_no_repository_or_instance_file_is_served(app, client):
    assert client.get("/static/site.css").status_code == 200  # what is meant to be served is
    instance = app.extensions["helpdesk.settings"].instance_dir
    (instance / "evidence").mkdir(parents=True, exist_ok=True)
    (instance / "evidence" / "0123456789abcdef").write_bytes(b"%PDF-1.4 private")
    (instance / "secret_key").write_text("not to be served")
    for path in (
        "/static/",
        "/static",
        "/articles/media/",
        "/articles/media/images/",
        "/.git/config",
        "/.git/",
        "/static/.DS_Store",
        "/static/%2e%2e/pyproject.toml",
        "/static/..%2fpyproject.toml",
        "/static/../helpdesk/config.py",
        "/helpdesk/config.py",
        "/instance/secret_key",
        "/instance/evidence/0123456789abcdef",
        "/evidence/0123456789abcdef",
        "/articles/media/%2e%2e/%2e%2e/pyproject.toml",
    ):
        answer = client.get(path)
        assert answer.status_code in (301, 308, 404), path
        body = answer.get_data()
        assert b"private" not in body and b"not to be served" not in body and b"Index of" not in body, path
    # what static/ holds is only what the pages need: styles and scripts
    served = {".css", ".js", ".svg", ".png", ".ico", ".woff2"}
    assert {p.suffix for p in (ROOT / "static").rglob("*") if p.is_file()} <= served
