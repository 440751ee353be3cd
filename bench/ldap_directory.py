"""Prints what the LDAP adapter's calls cost against a throwaway slapd, and what keeping the service
account's connections saves.

    .venv/bin/python bench/ldap_directory.py [--people 200] [--calls 300] [--rounds 5]

Starts tests/slapd.py's directory (Debian's slapd, ppolicy), seeds *people*, then in alternating
rounds (the machine's other load falls on both alike) times, ms a call (median of the rounds):

1. `find(address)` on one LdapDirectory: the service connection kept and reused;
2. `find(address)` on a new LdapDirectory each call: connect and bind the service account first
   (what every call would cost without reuse);
3. `check_password` (always a new connection: a bind as the person);
4. `lock_state` (kept connection: the entry, then its password policy).

Prints the ratio 2 / 1. Plain ldap:// on loopback: TLS would add a handshake to 2 and 3 only.
Only figures of one run compare.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ldap3 import Connection, Server  # noqa: E402

from helpdesk.accounts.ldap import LdapDirectory  # noqa: E402
from helpdesk.config import Settings  # noqa: E402
from tests import slapd as throwaway  # noqa: E402

PASSWORD = "violet-harbor-lantern-42"  # noqa: S105  (the seeded people's)


def per_call_ms(work, calls: int) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    for n in range(calls):
        work(n)
    return (time.perf_counter() - started) / calls * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    server = throwaway.start(Path(tempfile.mkdtemp()))
    try:
        addresses = []
        admin = Connection(Server(server.url), throwaway.ADMIN_DN, server.admin_password, auto_bind=True)
        with admin:
            for _ in range(args.people):
                uid = "b" + secrets.token_hex(4)
                admin.add(
                    server.dn(uid),
                    ["inetOrgPerson"],
                    {"cn": uid, "sn": uid, "mail": f"{uid}@example.org", "userPassword": PASSWORD},
                )
                addresses.append(f"{uid}@example.org")
        settings = Settings(
            directory="ldap",
            ldap_url=server.url,
            ldap_insecure=True,
            ldap_bind_dn=server.service_dn,
            ldap_bind_password=server.service_password,
            ldap_base_dn=server.base_dn,
        )
        kept = LdapDirectory(settings)
        ids = [kept.find(a).id for a in addresses]  # type: ignore[union-attr]

        def find_anew(n: int) -> None:
            fresh = LdapDirectory(settings)
            fresh.find(addresses[n % len(addresses)])
            fresh.close()

        figures: dict[str, list[float]] = {"kept": [], "new": [], "check": [], "lock": []}
        for _ in range(args.rounds):
            figures["kept"].append(
                per_call_ms(lambda n: kept.find(addresses[n % len(addresses)]), args.calls)
            )
            figures["new"].append(per_call_ms(find_anew, args.calls))
            figures["check"].append(
                per_call_ms(lambda n: kept.check_password(ids[n % len(ids)], PASSWORD), args.calls)
            )
            figures["lock"].append(per_call_ms(lambda n: kept.lock_state(ids[n % len(ids)]), args.calls))
        median = {name: statistics.median(values) for name, values in figures.items()}
        print(f"{args.people} people, {args.calls} calls a round, {args.rounds} rounds (median ms a call)")
        print(f"find, service connection kept     {median['kept']:7.3f}")
        ratio = median["new"] / median["kept"]
        print(f"find, new connection and bind     {median['new']:7.3f}   x{ratio:.2f} of kept")
        print(f"check_password (bind as person)   {median['check']:7.3f}")
        print(f"lock_state                        {median['lock']:7.3f}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
