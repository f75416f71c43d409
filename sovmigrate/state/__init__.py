"""The state store of a migration campaign and the pipeline's gates.

``open_store(path_or_url)`` is the entry point; see docs/state.md.
"""

from sovmigrate.state.models import (
    Campaign,
    HostReport,
    Machine,
    MachineRecord,
    StageRun,
    Transition,
    UserResult,
    Verification,
    Wave,
)
from sovmigrate.state.pipeline_states import DESTRUCTIVE_STAGES, STAGES
from sovmigrate.state.store import Store, open_store

__all__ = [
    "DESTRUCTIVE_STAGES",
    "STAGES",
    "Campaign",
    "HostReport",
    "Machine",
    "MachineRecord",
    "StageRun",
    "Store",
    "Transition",
    "UserResult",
    "Verification",
    "Wave",
    "open_store",
]
