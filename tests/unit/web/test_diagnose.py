"""web/diagnose.py: a step page's fixed parts, worked out once per flow version."""

from __future__ import annotations

import re

from helpdesk.content.live import catalog
from tests.conftest import make_staff, staff_client

FLOW = "wrong-password"


def first_page(client, start: str) -> str:
    return client.get(client.get(start).location).get_data(as_text=True)


def test_the_real_pages_and_the_sandbox_of_one_flow_version_keep_their_own_addresses(app, client):
    editor = staff_client(app, "ed@example.org", make_staff(app, "ed@example.org", "editor"))
    real = first_page(client, f"/diagnose/{FLOW}")
    sandbox = first_page(editor, f"/editor/sandbox/{FLOW}")
    real_again = first_page(app.test_client(), f"/diagnose/{FLOW}")
    for page in (real, real_again):
        assert f'action="/diagnose/{FLOW}/show-password"' in page
        assert f'action="/diagnose/{FLOW}/restart"' in page
    assert f'action="/editor/sandbox/{FLOW}/show-password"' in sandbox
    assert f'action="/editor/sandbox/{FLOW}/restart"' in sandbox
    assert 'href="/articles/forgotten-password"' in real and 'href="/articles/forgotten-password"' in sandbox


def test_a_step_page_is_worked_out_once_per_flow_version(app, client):
    first_page(client, f"/diagnose/{FLOW}")
    with app.app_context():
        memo = catalog().flows[FLOW].memo
        kept = {key: parts for key, parts in memo.items() if key[-1] == "show-password"}
    assert len(kept) == 1
    (parts,) = kept.values()
    assert parts.heading.startswith("Type your password again")
    first_page(app.test_client(), f"/diagnose/{FLOW}")
    with app.app_context():
        assert catalog().flows[FLOW].memo[next(iter(kept))] is parts  # the same, not worked out again


def test_a_step_page_carries_one_csrf_token_in_all_its_forms(client):
    page = first_page(client, f"/diagnose/{FLOW}")
    tokens = re.findall(r'name="csrf_token" value="([^"]+)"', page)
    assert len(tokens) == 2 and len(set(tokens)) == 1  # the answer and "Start over"


def test_a_plain_step_page_is_the_page_the_templates_render(app, client, monkeypatch):
    from helpdesk.web import diagnose

    page = first_page(client, f"/diagnose/{FLOW}")  # kept, then filled
    client.post(f"/diagnose/{FLOW}/show-password", data={"csrf_token": csrf_of(page), "answer": "capitals"})
    shapes = [f"/diagnose/{FLOW}/fix-caps-lock", f"/diagnose/{FLOW}/show-password"]  # Back; ticked
    filled = [client.get(path).get_data(as_text=True) for path in shapes]
    monkeypatch.setattr(diagnose, "_is_plain", lambda *_: False)  # the templates, every time
    rendered = [client.get(path).get_data(as_text=True) for path in shapes]
    assert filled == rendered
    assert "Back</a>" in filled[0] and "checked" in filled[1]
    with app.app_context():
        kinds = {key[0] for key in catalog().flows[FLOW].memo}
    assert "plain step pages" in kinds


def test_a_page_with_a_message_is_rendered_with_it(client):
    page = first_page(client, f"/diagnose/{FLOW}")
    client.post(f"/diagnose/{FLOW}/show-password", data={"csrf_token": csrf_of(page), "answer": "capitals"})
    resumed = client.get(f"/diagnose/{FLOW}", follow_redirects=True).get_data(as_text=True)
    assert "Welcome back" in resumed
    assert "Welcome back" not in client.get(f"/diagnose/{FLOW}/fix-caps-lock").get_data(as_text=True)


def csrf_of(page: str) -> str:
    return re.findall(r'name="csrf_token" value="([^"]+)"', page)[0]
