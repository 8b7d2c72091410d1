"""How long the simulator takes to generate each scale, and how big the result is.

Run: `.venv/bin/python bench/bench_simulator.py [scale ...]` (default: tiny demo large).
"""

from __future__ import annotations

import resource
import sys
import time
from datetime import date

from simulator.generator import generate_organisation


def measure(scale: str) -> tuple:
    started, cpu_started = time.perf_counter(), time.process_time()
    org = generate_organisation(seed=7, end=date(2026, 11, 20), scale=scale)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    repos = org.repos.values()
    runs = sum(len(r.runs) for r in repos)
    jobs = sum(len(run.jobs) for r in repos for run in r.runs)
    deployments = sum(len(r.deployments) for r in repos) + sum(
        1 for d in org.truth["deployments"] if d["source"] == "workflow_run"
    )
    commits = sum(len(r.commits) for r in repos)
    return scale, len(org.repos), org.days, runs, jobs, deployments, commits, seconds, cpu


def main(scales: list[str]) -> None:
    header = (
        "scale",
        "repos",
        "days",
        "runs",
        "jobs",
        "deployments",
        "commits",
        "seconds",
        "cpu s",
    )
    print(" | ".join(f"{h:>11}" for h in header))
    for scale in scales:
        row = measure(scale)
        print(" | ".join(f"{v:>11.1f}" if isinstance(v, float) else f"{v:>11}" for v in row))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"peak memory: {peak_mb} MB")


if __name__ == "__main__":
    main(sys.argv[1:] or ["tiny", "demo", "large"])
