"""A throwaway Active Directory for the tests: a Samba AD domain controller, nothing shared.

Provisioned from scratch into a temporary folder (`samba-tool domain provision`, ~5 s), with the
domain's lockout policy set (3 wrong passwords lock for 30 minutes, as an organisation's would) and
only the LDAP service started, in the foreground. Samba's LDAP port is fixed (389), so each
directory gets a loopback address of its own (127.0.0.N, added to `lo`: root only), and a TLS
certificate for that address from a CA made here: Active Directory takes new passwords only over
TLS, so the adapter reaches it with StartTLS and checks the certificate against that CA.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import ipaddress
import os
import secrets
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

REALM = "HELPDESK.TEST"
DOMAIN = "HELPDESK"
BASE_DN = "DC=helpdesk,DC=test"
USERS = f"CN=Users,{BASE_DN}"
ADMIN_DN = f"CN=Administrator,{USERS}"
MAX_FAILURES = 3
LOCKOUT_MINUTES = 30
MIN_LENGTH = 7  # Samba's default minimum
INSTALL = (
    "samba not found (or not root): `sudo apt-get install samba samba-ad-dc samba-ad-provision` "
    "runs the Active Directory tests"
)
SBIN = "/usr/sbin:/usr/bin:/sbin:/bin"


def binaries() -> tuple[str, str] | None:
    """samba and samba-tool, when this machine can run a domain controller (as root)."""
    samba, tool = shutil.which("samba", path=SBIN), shutil.which("samba-tool", path=SBIN)
    provision = Path("/usr/share/samba/setup/ad-schema")
    if samba is None or tool is None or shutil.which("ip", path=SBIN) is None:
        return None
    if not provision.is_dir() or os.geteuid() != 0:
        return None
    return samba, tool


@dataclass
class Samba:
    """A running throwaway domain controller: its URL, its CA, the administrator's password."""

    url: str
    address: str
    ca_file: Path
    admin_password: str
    process: subprocess.Popen[bytes]
    base_dn: str = BASE_DN
    admin_dn: str = ADMIN_DN
    users: str = USERS
    added_address: bool = field(default=False)

    def dn(self, name: str) -> str:
        return f"CN={name},{self.users}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.added_address:
            subprocess.run(["ip", "addr", "del", f"{self.address}/8", "dev", "lo"], capture_output=True)


def certificates(folder: Path, address: str) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for *address*, signed by it: (ca, certificate, key)."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Throwaway test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, address)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(address))]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = folder / "ca.pem", folder / "dc.pem", folder / "dc.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    paths[2].chmod(0o600)
    return paths


def _port_free(address: str) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((address, 389))
        except OSError:
            return False
        return True


def _free_address() -> str:
    """A loopback address nothing listens on port 389 of (127.0.0.10 and up)."""
    for last in range(10 + secrets.randbelow(40), 250):
        address = f"127.0.0.{last}"
        if _port_free(address):
            return address
    raise RuntimeError("no free loopback address for a throwaway Samba")


def _has_address(address: str) -> bool:
    shown = subprocess.run(["ip", "-o", "addr", "show", "dev", "lo"], capture_output=True, text=True)
    return f" {address}/" in shown.stdout


LOCK = Path(tempfile.gettempdir()) / "helpdesk-tests-samba.lock"


@contextlib.contextmanager
def _one_start_at_a_time() -> Iterator[None]:
    """Held from choosing an address until the server answers there, by every test run on this
    machine: two Sambas started at once both found 127.0.0.1:389 free and both started there, and
    the clients of one reached the other (with its own CA and passwords)."""
    with LOCK.open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(held, fcntl.LOCK_UN)


def _answers_as_ours(server: Samba) -> bool:
    """True once *server* takes its administrator's bind over StartTLS with its own CA: a server
    that only accepts connections may be another one on that address."""
    from ldap3 import Connection, Server, Tls
    from ldap3.core.exceptions import LDAPException

    tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=str(server.ca_file))
    address = Server(server.url, tls=tls, connect_timeout=2)
    connection = Connection(address, server.admin_dn, server.admin_password, receive_timeout=5)
    try:
        connection.open()
        return bool(connection.start_tls() and connection.bind())
    except LDAPException:
        return False
    finally:
        with contextlib.suppress(LDAPException):
            connection.unbind()


def start(folder: Path) -> Samba:
    """Provision a domain in *folder* (empty) and start its LDAP service; it answers before this
    returns (~10 s in all)."""
    found = binaries()
    if found is None:
        raise FileNotFoundError(INSTALL)
    samba, tool = found
    admin_password = "Adm-" + secrets.token_urlsafe(12) + "-9"  # Samba's complexity: mixed classes
    target = folder / "dc"
    subprocess.run(
        [tool, "domain", "provision", "--server-role=dc", "--use-rfc2307", f"--realm={REALM}",
         f"--domain={DOMAIN}", f"--adminpass={admin_password}", f"--targetdir={target}",
         "--dns-backend=NONE", "--host-name=dc1"],
        check=True, capture_output=True,
    )  # fmt: skip
    config = target / "etc" / "smb.conf"
    policy = [
        f"--account-lockout-threshold={MAX_FAILURES}",
        f"--account-lockout-duration={LOCKOUT_MINUTES}",
        f"--reset-account-lockout-after={LOCKOUT_MINUTES}",
        "--min-pwd-age=0",
    ]
    subprocess.run(
        [tool, "domain", "passwordsettings", "set", *policy, "-s", str(config)],
        check=True,
        capture_output=True,
    )
    with _one_start_at_a_time():
        return _started(samba, folder, config, admin_password)


def _started(samba: str, folder: Path, config: Path, admin_password: str) -> Samba:
    # 127.0.0.1 when its port 389 is free (no change to the machine: a container without
    # CAP_NET_ADMIN can do no more); otherwise another loopback address added to lo for it
    address, added = "127.0.0.1", False
    if not _port_free(address):
        address = _free_address()
        if not _has_address(address):
            add = ["ip", "addr", "add", f"{address}/8", "dev", "lo"]
            subprocess.run(add, check=True, capture_output=True)
            added = True
    ca, certificate, key = certificates(folder, address)
    text = config.read_text()
    services = next(line for line in text.splitlines() if line.strip().startswith("server services"))
    text = text.replace(
        services,
        "\n".join(
            f"\t{line}"
            for line in (
                "server services = ldap",
                f"interfaces = {address}",
                "bind interfaces only = yes",
                "ldap server require strong auth = no",
                # the old password keeps working for NTLM logons (and simple binds) 60 minutes after
                # a reset by default, here as in Windows AD: the suite checks it stops at once
                "old password allowed period = 0",
                "tls enabled = yes",
                f"tls keyfile = {key}",
                f"tls certfile = {certificate}",
                f"tls cafile = {ca}",
                f"log file = {folder}/log.%m",
                f"pid directory = {config.parent.parent}",
            )
        ),
    )
    config.write_text(text)
    log = (folder / "samba.out").open("wb")
    process = subprocess.Popen([samba, "-i", "-s", str(config)], stdout=log, stderr=log)
    server = Samba(
        url=f"ldap://{address}",
        address=address,
        ca_file=ca,
        admin_password=admin_password,
        process=process,
        added_address=added,
    )
    deadline = time.monotonic() + 60
    while not _answers_as_ours(server):
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            said = (folder / "samba.out").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"samba did not answer as itself at {address}:389:\n" + said)
        time.sleep(0.1)
    return server
