"""The destructive stage's gate for plays run outside ``wave run`` (playbooks/reinstall.yml).

``python -m sovmigrate.run.gate reinstall HOST [--campaign NAME] [--check]`` runs on the
controller, once per host, as the first task of the reinstall play. It reads the store
(``SOVMIGRATE_DB``), checks the same gate as ``wave run`` and records the run as started
(``begin_stage``), so the disk is wiped only with a verified capture, and never twice. It fails
closed: store unreachable, machine unknown, callback not recording -> non-zero, one line.
With ``--check`` (Ansible's check mode) it only says whether the gate would open.

Exit codes: 0 open (prints ``{"run": ID}``), 2 bad input, 3 store unreachable, 4 gate closed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from sovmigrate.errors import SovmigrateError, StateConflict, UsageError
from sovmigrate.run.callback import CONTROLLER_ENV
from sovmigrate.state import STAGES, open_store
from sovmigrate.state.config import db_target, pick_campaign
from sovmigrate.state.pipeline import begin_stage, stage_problem


def open_gate(stage: str, host: str, campaign: str | None, check: bool) -> int | None:
    controller = os.environ.get(CONTROLLER_ENV)
    if not controller and not check:
        # Nobody would record how the wipe ends: the machine would stay 'running' for ever.
        raise StateConflict(
            "the sovmigrate.migrate.state_store callback is not enabled: this run would not be "
            "recorded, so the gate stays closed (docs/awx.md)"
        )
    if not os.environ.get("SOVMIGRATE_DB"):
        raise UsageError("SOVMIGRATE_DB is not set: the gate needs the campaign's state store")
    with open_store(db_target(None)) as store:
        camp = pick_campaign(store, campaign or None)
        machine = store.machine(camp, host)
        if check:
            problem = stage_problem(store, machine, stage)
            if problem:
                raise StateConflict(f"gate: {problem}")
            return None
        wave_id = store.wave(camp, machine.wave).id if machine.wave else None
        return begin_stage(store, machine, stage, wave_id=wave_id, controller=str(controller))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sovmigrate.run.gate")
    parser.add_argument("stage", choices=[s for s in STAGES if s == "reinstall"])
    parser.add_argument("host")
    parser.add_argument("--campaign", default="")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    try:
        run = open_gate(args.stage, args.host, args.campaign, args.check)
    except SovmigrateError as exc:
        print(
            f"sovmigrate {exc}" if str(exc).startswith("gate:") else f"sovmigrate gate: {exc}",
            file=sys.stderr,
        )
        return exc.exit_code
    print(json.dumps({"run": run, "host": args.host, "stage": args.stage}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
