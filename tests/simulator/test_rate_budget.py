"""The simulator's primary rate budget: a spent window lasts as long as it says."""

from __future__ import annotations

import time

from simulator.server.server_state import RateBudget


def test_a_spent_window_lasts_at_least_the_seconds_asked_even_late_in_a_second():
    # Spent 0.95 s into a second: a reset rounded down would come 0.05 s later, within the very
    # request that spent the budget (which would then go through instead of being refused).
    budget = RateBudget(limit=10, reset_seconds=3600)
    while time.time() % 1 < 0.95:
        time.sleep(0.005)
    budget.exhaust(1)
    spent_at = time.time()
    limit, used, reset = budget.snapshot()
    assert (used, isinstance(reset, int)) == (limit, True)  # an epoch second, as the header
    assert reset - spent_at >= 1 - 0.01
    assert not budget.try_charge()
