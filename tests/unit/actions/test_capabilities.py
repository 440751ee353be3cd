"""Which fixes need what of the directory (actions/__init__.py NEEDS, steps_not_offered)."""

from __future__ import annotations

from helpdesk.accounts.org_directory import Capability
from helpdesk.accounts.sql import SqlAccountDirectory
from helpdesk.actions import NEEDS, action_names, missing_capability, steps_not_offered
from tests.unit.flows.test_diagram import SHIPPED


def test_every_fix_named_is_registered_and_the_embedded_directory_can_do_them_all():
    assert set(NEEDS) <= action_names()
    assert all(missing_capability(name, SqlAccountDirectory.capabilities) is None for name in action_names())


def test_a_directory_without_unlock_is_not_offered_the_unlock_link_anywhere():
    available = frozenset(Capability) - {Capability.UNLOCK}
    assert missing_capability("send-unlock-link", available) is Capability.UNLOCK
    assert missing_capability("send-reset-link", available) is None
    gaps = steps_not_offered(SHIPPED["locked-out"].flow, available)
    assert gaps == {"unlock-by-email": Capability.UNLOCK}
    assert steps_not_offered(SHIPPED["locked-out"].flow, SqlAccountDirectory.capabilities) == {}
