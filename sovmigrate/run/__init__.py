"""Running a wave: stages through ansible-runner, the reinstall step, resume and cancel.

``run_wave(store, wave, stages, reinstaller=LabReinstaller(lab), options=RunOptions(...))``;
see docs/waves.md.
"""

from sovmigrate.run.cancel import CancelToken, cancel_on_sigint
from sovmigrate.run.inventory import write_wave_inventory
from sovmigrate.run.options import NullProgress, Progress, RunOptions, default_playbooks
from sovmigrate.run.reinstall import LabReinstaller, PxeReinstaller, Reinstaller
from sovmigrate.run.runner import StageSummary, WaveSummary, run_stage, run_wave

__all__ = [
    "CancelToken",
    "LabReinstaller",
    "NullProgress",
    "Progress",
    "PxeReinstaller",
    "Reinstaller",
    "RunOptions",
    "StageSummary",
    "WaveSummary",
    "cancel_on_sigint",
    "default_playbooks",
    "run_stage",
    "run_wave",
    "write_wave_inventory",
]
