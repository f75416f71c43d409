"""How many cores this process may use (its CPU affinity, which containers and ``taskset``
narrow, not the machine's count): the import's worker pool and the planner's inventory writer
size themselves on it."""

from __future__ import annotations

import os


def usable_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
