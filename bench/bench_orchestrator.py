"""How well the proposed stage order fits the simulated team, over several seeds (not timed).

For each seed: acme/platform ingested over HTTP and cut at its switch to the master pipeline
(tests/orchestrator/platform_history.py), built; then the share of releases (that ran two or
more of the proposal's stage workflows) whose order the proposal keeps, and how many of the
truth's dependencies it respects. `python bench/bench_orchestrator.py [SEED ...]`.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from orchestrator.estate import load_estate  # noqa: E402
from orchestrator.ordering import agreement  # noqa: E402
from tests.orchestrator.platform_history import REPO, platform_before_switch  # noqa: E402


def main(seeds: list[int]) -> None:
    print(
        f"{'seed':>4}  {'releases':>8}  {'with 2+ stages':>14}  {'order kept':>10}  {'truth deps kept':>15}"
    )
    for seed in seeds:
        with tempfile.TemporaryDirectory() as folder:
            db, truth = platform_before_switch(Path(folder), seed)
            with duckdb.connect(str(db), read_only=True) as con:
                jobs = con.execute(
                    "select jobs from marts.orchestration_proposals where repo = ?", [REPO]
                ).fetchone()[0]
                estate = load_estate(con, REPO)
            stage = {j["workflow_path"]: j["stage"] for j in jobs if j["workflow_path"]}
            kept, informative = agreement(stage, estate.releases)
            dependencies = truth["release_order"][REPO]["dependencies"]
            held = sum(stage.get(a, -1) < stage.get(b, -1) for a, b in dependencies)
            share = f"{kept / informative:.1%}" if informative else "n/a"
            print(f"{seed:>4}  {len(estate.releases):>8}  {informative:>14}  {share:>10}  "
                  f"{held:>8} of {len(dependencies):<3}")  # fmt: skip


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [7, 1, 2, 3, 4])
