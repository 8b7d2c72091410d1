"""Peak memory of the current process, as the benchmarks report it."""

from __future__ import annotations

from pathlib import Path


def peak_rss_gb() -> float:
    """This process's own peak resident memory (VmHWM), in GB.

    Not `getrusage(RUSAGE_SELF).ru_maxrss`: Linux carries that over `exec` from the process that
    spawned this one, so a measurement child of a bench that generated a large organisation
    reports the bench's peak, not its own.
    """
    status = Path("/proc/self/status").read_text()
    kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
    return kb / 1e6
