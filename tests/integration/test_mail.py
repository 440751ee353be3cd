"""Mail through a real SMTP server (aiosmtpd on loopback) and through the .eml outbox."""

from __future__ import annotations

from email import message_from_bytes, policy

from aiosmtpd.smtp import AuthResult

from tests.conftest import build_app
from tests.integration.test_password_reset import ask_for_link
from tests.mailbox import SmtpServer, link_in, outbox


def test_mail_goes_through_smtp_with_text_and_html_parts(tmp_path):
    with SmtpServer() as smtp:
        app = build_app(tmp_path, mail_url=smtp.url)
        with app.app_context():
            from helpdesk.accounts.directory import directory

            directory().create("pat@example.org", "violet-harbor-lantern-42")
        assert ask_for_link(app.test_client(), "pat@example.org").status_code == 303
        [message] = smtp.recorder.messages
    assert message["To"] == "pat@example.org"
    assert message["From"] == "Example Help <help@example.org>"
    assert message.get_body(preferencelist=("plain",)) is not None
    assert message.get_body(preferencelist=("html",)) is not None
    assert link_in(message, "/password/reset/")
    assert not outbox(app.extensions["helpdesk.settings"].outbox_dir)


def test_smtp_credentials_from_the_url_are_used(tmp_path):
    seen = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        seen.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret pass")

    with SmtpServer(authenticator=authenticator) as smtp:
        url = smtp.url.replace("smtp://", "smtp://mailer:s3cret%20pass@")
        app = build_app(tmp_path, mail_url=url)
        assert ask_for_link(app.test_client(), "nobody@example.org").status_code == 303
        assert len(smtp.recorder.messages) == 1
    assert seen == [(b"mailer", b"s3cret pass")]


def test_a_passing_smtp_failure_is_retried(tmp_path):
    with SmtpServer() as smtp:
        smtp.recorder.refuse_next = 2  # "451 try again later", twice
        app = build_app(tmp_path, mail_url=smtp.url)
        assert ask_for_link(app.test_client(), "nobody@example.org").status_code == 303
        assert len(smtp.recorder.messages) == 1


def test_a_failing_smtp_server_tells_the_person_to_try_again_never_a_500(tmp_path):
    with SmtpServer() as smtp:
        smtp.recorder.refuse_next = 10
        app = build_app(tmp_path, mail_url=smtp.url)
        answer = ask_for_link(app.test_client(), "nobody@example.org")
    assert answer.status_code == 503
    assert "We could not send the email just now" in answer.get_data(as_text=True)


def test_an_unreachable_smtp_server_is_reported_the_same_way(tmp_path):
    from tests.mailbox import free_port

    app = build_app(tmp_path, mail_url=f"smtp://127.0.0.1:{free_port()}")
    answer = ask_for_link(app.test_client(), "nobody@example.org")
    assert answer.status_code == 503


def test_without_smtp_every_mail_is_one_rfc5322_file_in_the_outbox(app, client, account, outbox_dir):
    ask_for_link(client, "pat@example.org")
    ask_for_link(client, "nobody@example.org")
    files = sorted(outbox_dir.glob("*.eml"))
    assert len(files) == 2
    for path in files:
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert message["Message-ID"] and message["Date"] and message["From"] and message["Subject"]
    assert not list(outbox_dir.glob(".*"))  # no half-written files left behind
