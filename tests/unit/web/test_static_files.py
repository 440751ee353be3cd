"""Static files under names that carry their digest; the plain names; nothing hidden."""

from __future__ import annotations

from pathlib import Path

from helpdesk.web.static_files import StaticFiles


def test_a_file_s_hashed_name_changes_when_its_bytes_change(tmp_path: Path):
    (tmp_path / "site.css").write_text("body { color: black; }")
    before = StaticFiles(tmp_path).url_name("site.css")
    assert before.startswith("site.") and before.endswith(".css") and len(before) == len("site.css") + 9
    (tmp_path / "site.css").write_text("body { color: navy; }")
    after = StaticFiles(tmp_path).url_name("site.css")
    assert after != before
    (tmp_path / "site.css").write_text("body { color: black; }")
    assert StaticFiles(tmp_path).url_name("site.css") == before  # the bytes name it, not the time


def test_files_are_found_by_both_names_and_folders_keep_their_place(tmp_path: Path):
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "lib.min.js").write_text("x")
    files = StaticFiles(tmp_path)
    hashed = files.url_name("vendor/lib.min.js")
    assert hashed.startswith("vendor/lib.min.") and hashed.endswith(".js")
    assert files.by_hashed[hashed] is files.by_name["vendor/lib.min.js"]
    assert files.by_name["vendor/lib.min.js"].mimetype == "text/javascript"


def test_hidden_files_and_folders_are_never_served(tmp_path: Path):
    (tmp_path / ".DS_Store").write_text("x")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text("x")
    assert StaticFiles(tmp_path).by_name == {}


def test_a_name_static_does_not_hold_is_linked_as_it_is(tmp_path: Path):
    assert StaticFiles(tmp_path).url_name("missing.css") == "missing.css"
