"""The names of the pipeline (DESIGN.md §2), shared by the store and the gates.

Kept apart from ``pipeline.py`` so that the store can use the names without importing the gates.
"""

from __future__ import annotations

# Stages in the order a wave runs them; reinstall is the destructive one (the disk wipe).
STAGES: tuple[str, ...] = ("precheck", "capture", "reinstall", "configure", "restore", "postcheck")
DESTRUCTIVE_STAGES = frozenset({"reinstall"})

# The state a machine must be in for a stage to start, and the state its success leads to.
READY_STATE = {
    "precheck": "scheduled",
    "capture": "prechecked",
    "reinstall": "captured",
    "configure": "provisioned",
    "restore": "configured",
    "postcheck": "restored",
}
DONE_STATE = {
    "precheck": "prechecked",
    "capture": "captured",
    "reinstall": "provisioned",
    "configure": "configured",
    "restore": "restored",
    "postcheck": "postchecked",
}

PROGRESS_STATES: tuple[str, ...] = (
    "discovered",
    "assessed",
    "scheduled",
    "prechecked",
    "captured",
    "provisioned",
    "configured",
    "restored",
    "postchecked",
    "done",
)
OFF_PATH_STATES: tuple[str, ...] = ("failed", "excluded", "rolled_back")
ALL_STATES: tuple[str, ...] = PROGRESS_STATES + OFF_PATH_STATES
# States a wave run never touches again without an explicit operator command.
STOPPED_STATES = frozenset({"done", *OFF_PATH_STATES})


def beyond(state: str, stage: str) -> bool:
    """The machine already went past ``stage`` (a converging laptop re-runs configure often)."""
    return state in PROGRESS_STATES and PROGRESS_STATES.index(state) > PROGRESS_STATES.index(
        READY_STATE[stage]
    )
