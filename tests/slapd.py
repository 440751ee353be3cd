"""A throwaway OpenLDAP server for the tests: Debian's slapd on a loopback port, nothing shared.

It is configured from scratch (cn=config written with `slapadd -n0`), with the ppolicy overlay
locking an account after 3 wrong passwords (as an organisation's directory would), a service
account the help center binds as, and people under ou=people. No system slapd, no mock.
"""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

SUFFIX = "dc=example,dc=org"
ADMIN_DN = f"cn=admin,{SUFFIX}"
SERVICE_DN = f"cn=helpdesk,ou=services,{SUFFIX}"
PEOPLE = f"ou=people,{SUFFIX}"
POLICY_DN = f"cn=default,ou=policies,{SUFFIX}"
MAX_FAILURES = 3
MIN_LENGTH = 8
MODULES = Path("/usr/lib/ldap")
SCHEMA = Path("/etc/ldap/schema")
INSTALL = "slapd not found: `sudo apt-get install slapd ldap-utils` runs the LDAP directory tests"


def binaries() -> tuple[str, str] | None:
    """slapd and slapadd (in /usr/sbin, often not on an ordinary user's PATH)."""
    path = "/usr/sbin:/usr/bin:/sbin:/bin"
    slapd, slapadd = shutil.which("slapd", path=path), shutil.which("slapadd", path=path)
    if slapd is None or slapadd is None or not (MODULES / "ppolicy.la").exists():
        return None
    return slapd, slapadd


def _config(folder: Path, admin_password: str, service_dn: str) -> str:
    return f"""dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: {folder}/slapd.pid

dn: cn=module{{0}},cn=config
objectClass: olcModuleList
cn: module{{0}}
olcModulePath: {MODULES}
olcModuleLoad: back_mdb
olcModuleLoad: ppolicy

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file://{SCHEMA}/core.ldif

include: file://{SCHEMA}/cosine.ldif

include: file://{SCHEMA}/inetorgperson.ldif

dn: olcDatabase={{-1}}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {{-1}}frontend

dn: olcDatabase={{0}}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {{0}}config
olcAccess: {{0}}to * by * none

dn: olcDatabase={{1}}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {{1}}mdb
olcSuffix: {SUFFIX}
olcRootDN: {ADMIN_DN}
olcRootPW: {admin_password}
olcDbDirectory: {folder}/data
olcDbMaxSize: 16777216
olcAccess: {{0}}to attrs=userPassword by self write by anonymous auth
  by dn.exact="{service_dn}" write by * none
olcAccess: {{1}}to * by dn.exact="{service_dn}" manage by self read by * none

dn: olcOverlay={{0}}ppolicy,olcDatabase={{1}}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcPPolicyConfig
olcOverlay: {{0}}ppolicy
olcPPolicyDefault: {POLICY_DN}
olcPPolicyHashCleartext: TRUE
olcPPolicyUseLockout: TRUE
"""


def _tree(service_password: str) -> str:
    return f"""dn: {SUFFIX}
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: {PEOPLE}
objectClass: organizationalUnit
ou: people

dn: ou=services,{SUFFIX}
objectClass: organizationalUnit
ou: services

dn: ou=policies,{SUFFIX}
objectClass: organizationalUnit
ou: policies

dn: {SERVICE_DN}
objectClass: simpleSecurityObject
objectClass: organizationalRole
cn: helpdesk
userPassword: {service_password}

dn: {POLICY_DN}
objectClass: pwdPolicy
objectClass: device
cn: default
pwdAttribute: userPassword
pwdMaxFailure: {MAX_FAILURES}
pwdLockout: TRUE
pwdLockoutDuration: 0
pwdFailureCountInterval: 0
pwdMinLength: {MIN_LENGTH}
pwdCheckQuality: 1
pwdInHistory: 3
"""


@dataclass
class Slapd:
    """A running throwaway directory: its URL and the credentials of its accounts."""

    url: str
    process: subprocess.Popen[bytes]
    admin_password: str
    service_password: str
    base_dn: str = SUFFIX
    service_dn: str = SERVICE_DN
    people: str = PEOPLE

    def dn(self, uid: str) -> str:
        return f"uid={uid},{self.people}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(folder: Path) -> Slapd:
    """Configure and start slapd in *folder* (empty), with passwords of its own for its
    administrator and the service account; it answers before this returns."""
    admin_password, service_password = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
    found = binaries()
    if found is None:
        raise FileNotFoundError(INSTALL)
    slapd, slapadd = found
    config, data = folder / "slapd.d", folder / "data"
    config.mkdir(parents=True)
    data.mkdir()
    (folder / "config.ldif").write_text(_config(folder, admin_password, SERVICE_DN))
    (folder / "tree.ldif").write_text(_tree(service_password))
    for number, ldif in (("0", "config.ldif"), ("1", "tree.ldif")):
        subprocess.run(
            [slapadd, "-n", number, "-F", str(config), "-l", str(folder / ldif)],
            check=True,
            capture_output=True,
        )
    port = _free_port()
    url = f"ldap://127.0.0.1:{port}"
    log = (folder / "slapd.log").open("wb")
    process = subprocess.Popen(  # -d 0: in the foreground, so the tests own it
        [slapd, "-d", "0", "-h", f"{url}/", "-F", str(config)], stdout=log, stderr=log
    )
    server = Slapd(url=url, process=process, admin_password=admin_password, service_password=service_password)
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return server
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                server.stop()
                said = (folder / "slapd.log").read_text(errors="replace")[-2000:]
                raise RuntimeError("slapd did not start:\n" + said) from None
            time.sleep(0.05)
