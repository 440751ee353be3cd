"""Mail through a real SMTP server (aiosmtpd on loopback) and through the .eml outbox."""

from __future__ import annotations

from contextlib import contextmanager
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


def _self_signed(tmp_path):
    """A certificate for 127.0.0.1 that this test's client will trust (SSL_CERT_FILE)."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


def _server_context(cert_file, key_file):
    import ssl

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context


@contextmanager
def tls_server(tmp_path, monkeypatch=None, **tls):
    """An SMTP server with a fresh certificate; trusted by the app only when *monkeypatch* is given.

    `starttls=True` offers STARTTLS (and requires it); otherwise the server speaks TLS at once.
    """
    from aiosmtpd.controller import Controller

    from tests.mailbox import Recorder, free_port

    cert_file, key_file = _self_signed(tmp_path)
    if monkeypatch is not None:
        monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
    context = _server_context(cert_file, key_file)
    options = (
        {"tls_context": context, "require_starttls": True}
        if tls.get("starttls")
        else {"ssl_context": context}
    )
    recorder, port = Recorder(), free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield recorder, port
    finally:
        controller.stop()


def test_smtp_with_starttls(tmp_path, monkeypatch):
    with tls_server(tmp_path, monkeypatch, starttls=True) as (recorder, port):
        app = build_app(tmp_path, mail_url=f"smtp://127.0.0.1:{port}?starttls=true")
        assert ask_for_link(app.test_client(), "nobody@example.org").status_code == 303
    assert len(recorder.messages) == 1


def test_smtps_with_implicit_tls(tmp_path, monkeypatch):
    with tls_server(tmp_path, monkeypatch) as (recorder, port):
        app = build_app(tmp_path, mail_url=f"smtps://127.0.0.1:{port}")
        assert ask_for_link(app.test_client(), "nobody@example.org").status_code == 303
    assert len(recorder.messages) == 1


def test_an_untrusted_certificate_is_refused(tmp_path):
    with tls_server(tmp_path) as (recorder, port):  # SSL_CERT_FILE not set: the certificate is unknown
        app = build_app(tmp_path, mail_url=f"smtps://127.0.0.1:{port}")
        assert ask_for_link(app.test_client(), "nobody@example.org").status_code == 503
    assert recorder.messages == []
