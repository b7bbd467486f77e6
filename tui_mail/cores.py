"""How many CPU cores this process may run on."""

from __future__ import annotations

import os


def usable_cores() -> int:
    """The cores the scheduler lets this process use, at least 1.

    `os.cpu_count()` counts the machine's cores, so under `taskset` or a cgroup cpuset (a
    container pinned to two of sixteen cores) it would start sixteen workers that share two.
    A CPU quota (`docker --cpus`) is not an affinity and is not seen here.
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)
