"""Print the mutation score of `make mutate`'s mutmut run, per module and in all.

Score = killed / (checked mutants - equivalent); a mutant whose tests time out or crash counts as
killed, survivors and mutants no test reaches count against it, and a survivor leaves the
denominator only when EQUIVALENT below names it with the reason no test can tell it from the
original. Mutants an interrupted run did not reach are shown apart, never scored.
Run after `mutmut run`: `python -m tests.mutation_score`.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

TARGET = 0.85
# a mutant the tests did not let pass: failed, hung (mutmut's timeout) or crashed the run
DETECTED = {"killed", "timeout", "segfault", "caught by type check"}
# mutant name -> why it behaves exactly as the original (reviewed by hand; `mutmut show NAME`)
_NEUTRALISE_IS_IDENTITY = (
    "neutralise() returns every non-string (NaN, None, numbers, times) unchanged, so mapping it "
    "over more columns or over missing values changes no cell"
)
_STAGING_NAME = (
    "the staging folder exists only while the export runs and is removed in every case; its name "
    "and place are not observable afterwards (its place matters only across filesystems)"
)
_SQL_CASE = "the SQL text upper-cased: keywords and unquoted names are case-insensitive"
_ZIP_STRICT = "both sequences are built from the same rows, so they always have the same length"
_RMTREE = (
    "rmtree of a folder the export itself made, which it can always remove: no error to ignore"
)
EQUIVALENT: dict[str, str] = {
    "models.export.x_safe_for_spreadsheets__mutmut_4": _NEUTRALISE_IS_IDENTITY,
    "models.export.x_safe_for_spreadsheets__mutmut_7": _NEUTRALISE_IS_IDENTITY,
    "models.export.x_safe_for_spreadsheets__mutmut_9": _NEUTRALISE_IS_IDENTITY,
    **{f"models.export.x_export__mutmut_{n}": _STAGING_NAME for n in (22, 23, 24, 25, 26, 27)},
    **{f"models.export.x_export__mutmut_{n}": _ZIP_STRICT for n in (33, 36, 37)},
    **{f"models.export.x_export__mutmut_{n}": _RMTREE for n in (60, 62, 63)},
    "models.export.x__write_table__mutmut_17": "pandas reads index=None as false: no index column",
    **{
        f"dashboard.data.x__scoped__mutmut_{n}": "no query of the pages uses $edition from the "
        "scope (levels() passes the edition itself), and unused parameters are dropped"
        for n in (3, 4)
    },
    "dashboard.data.x_snapshot_info__mutmut_3": _SQL_CASE,
    "ingest.store.xǁStoreǁetag__mutmut_7": _SQL_CASE,
    "ingest.store.xǁStoreǁstate__mutmut_7": _SQL_CASE,
    **{
        f"ingest.store.xǁTransactionǁ{name}": _SQL_CASE
        for name in (
            "set_state__mutmut_6",
            "set_state__mutmut_8",
            "skip__mutmut_6",
            "skip__mutmut_8",
        )
    },
    "ingest.store.xǁStoreǁstate__mutmut_12": "set_state always stores details as JSON text, so "
    "the empty-details branch is never taken on rows the store wrote",
    "models.commit_ranges.xǁHistoryǁ__init____mutmut_1": "History.shas is kept for callers; "
    "the walk and build() never read it",
    "models.commit_ranges.xǁHistoryǁfirst_deployments__mutmut_23": "the previous deployment's "
    "walk ends only when open_new is 0, so `open_new = new` and `+= new` give the same value",
    "models.commit_ranges.xǁHistoryǁfirst_deployments__mutmut_38": "re-queues parents already "
    "queued or closed; they are skipped when popped: more work, the same rows",
    "models.commit_ranges.xǁHistoryǁfirst_deployments__mutmut_58": "new parents popped after "
    "every shipped mark: the same rows after walking more history (a speed loss, bench_models)",
    **{
        f"reports.figures.x__change_failures__mutmut_{n}": "the fallback for snapshots without "
        "failure_started_at computes exactly what the mart's failure_started_at holds"
        for n in (2, 4, 5, 6, 7, 10, 13, 14)
    },
    **{
        f"reports.figures.x__production_first__mutmut_{n}": "production listed twice: the list "
        "is only used for membership and first position, which do not change"
        for n in (4, 5)
    },
    "reports.figures.x_default_week__mutmut_10": _SQL_CASE,
    "reports.figures.x__snapshot_info__mutmut_9": _SQL_CASE,
    **{
        name: "DuckDB runs a query without parameters the same with None as with []"
        for name in (
            "reports.figures.x__snapshot_info__mutmut_4",
            "reports.figures.x__data_quality__mutmut_31",
        )
    },
    "reports.figures.x_default_week__mutmut_2": 'without snapshot_info, None and "" both fall '
    "through `latest or today or date.today()`",
    **{f"dashboard.data.x_levels__mutmut_{n}": _ZIP_STRICT for n in (21, 24, 29)},
}


def module_of(mutant: str) -> str:
    """`ingest.streams.runs.xǁRunsǁmethod__mutmut_3` -> `ingest.streams.runs`."""
    return re.split(r"\.x[_ǁ]", mutant, maxsplit=1)[0]


def results() -> dict[str, str]:
    mutmut = Path(sys.executable).with_name("mutmut")
    out = subprocess.run(
        [str(mutmut), "results", "--all", "true"], capture_output=True, text=True, check=True
    ).stdout
    pairs = (line.strip().rsplit(": ", 1) for line in out.splitlines() if ": " in line)
    return {name: status for name, status in pairs}


def main() -> int:
    statuses = results()
    if not statuses:
        print("no mutmut results: run `mutmut run` first")
        return 1
    by_module: dict[str, Counter] = defaultdict(Counter)
    for name, status in statuses.items():
        if name in EQUIVALENT:
            status = "equivalent"
        elif status in DETECTED:
            status = "killed"
        by_module[module_of(name)][status] += 1
    print(f"{'module':<32} {'mutants':>7} {'unchecked':>9} {'killed':>7} {'survived':>8} "
          f"{'no test':>7} {'equiv.':>6} {'score':>6}")  # fmt: skip
    total: Counter = Counter()
    for module in sorted(by_module):
        counts = by_module[module]
        total.update(counts)
        print(_row(module, counts))
    print(_row("all", total))
    unchecked = total["not checked"]
    survivors = [
        n
        for n, s in statuses.items()
        if s not in DETECTED and s != "not checked" and n not in EQUIVALENT
    ]
    if survivors:
        print(f"\nnot killed ({len(survivors)}): `mutmut show NAME` for each")
        for name in sorted(survivors):
            print(f"  {name}: {statuses[name]}")
    if EQUIVALENT:
        print(f"\nequivalent ({len(EQUIVALENT)}):")
        for name, reason in sorted(EQUIVALENT.items()):
            print(f"  {name}: {reason}")
    if unchecked:
        print(f"\n{unchecked} mutants not checked yet: the run was interrupted")
    return 0


def _row(name: str, counts: Counter) -> str:
    mutants = sum(counts.values())
    scored = mutants - counts["not checked"] - counts["equivalent"]
    score = f"{counts['killed'] / scored:6.1%}" if scored else "     -"
    flag = "  < target" if scored and counts["killed"] / scored < TARGET else ""
    return (
        f"{name:<32} {mutants:>7} {counts['not checked']:>9} {counts['killed']:>7} "
        f"{counts['survived']:>8} {counts['no tests']:>7} {counts['equivalent']:>6} {score}{flag}"
    )


if __name__ == "__main__":
    sys.exit(main())
