"""Two-factor rules that pages show: when recovery codes run low."""

from __future__ import annotations

from helpdesk.accounts.two_factor import FEW_CODES_LEFT, RECOVERY_COUNT, few_codes_left


def test_three_codes_or_fewer_is_few():
    assert FEW_CODES_LEFT == 3
    assert few_codes_left(3)
    assert few_codes_left(0)
    assert not few_codes_left(4)
    assert not few_codes_left(RECOVERY_COUNT)
