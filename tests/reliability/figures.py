"""The figures of the fault and kill tests, printed at the end of the run for the closing note.

Each test adds what it did (faults injected by kind, kills survived by phase, rows compared,
differences found, reader polls); the totals are printed in pytest's terminal summary and
written to `<pytest basetemp>/reliability-figures.json`, so `make soak` output can be quoted.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

_KEY = pytest.StashKey["Figures"]()


class Figures:
    """Counters of one pytest session, by test and in total."""

    def __init__(self, basetemp: Path) -> None:
        self.by_test: dict[str, Counter] = {}
        self.path = basetemp / "reliability-figures.json"

    @classmethod
    def for_session(cls, config: pytest.Config, basetemp: Path) -> Figures:
        """The session's one collector; registers the terminal summary on first use."""
        if _KEY not in config.stash:
            figures = cls(basetemp)
            config.stash[_KEY] = figures
            config.pluginmanager.register(_SummaryPlugin(figures), "dora-reliability-figures")
        return config.stash[_KEY]

    def add(self, test: str, **numbers: int) -> None:
        """Add `numbers` (name -> count) to `test`'s figures and rewrite the JSON file."""
        self.by_test.setdefault(test, Counter()).update(numbers)
        totals = self.totals()
        body = {"totals": totals, "by_test": {k: dict(v) for k, v in self.by_test.items()}}
        self.path.write_text(json.dumps(body, indent=2, sort_keys=True))

    def totals(self) -> dict[str, int]:
        total: Counter = Counter()
        for numbers in self.by_test.values():
            total.update(numbers)
        return dict(sorted(total.items()))

    def lines(self) -> list[str]:
        """One line per test, then the totals."""
        out = []
        for test, numbers in self.by_test.items():
            out.append(f"{test}: " + ", ".join(f"{k}={v}" for k, v in sorted(numbers.items())))
        out.append("TOTAL: " + ", ".join(f"{k}={v}" for k, v in self.totals().items()))
        out.append(f"(written to {self.path})")
        return out


class _SummaryPlugin:
    def __init__(self, figures: Figures) -> None:
        self.figures = figures

    def pytest_terminal_summary(self, terminalreporter) -> None:  # noqa: ANN001 (pytest hook)
        if self.figures.by_test:
            terminalreporter.write_sep("=", "reliability figures (faults, kills, rows compared)")
            for line in self.figures.lines():
                terminalreporter.write_line(line)
