# Copyright: sovmigrate contributors. EUPL-1.2.
"""Record each stage's per-host results into the sovmigrate state store (see DOCUMENTATION)."""

from __future__ import annotations

DOCUMENTATION = r"""
name: state_store
type: notification
short_description: Record stage results into the sovmigrate state store
description:
  - Records each stage's per-host result (stage runs, state transitions, capture and restore
    verifications) into the campaign's state store, SQLite or PostgreSQL, with the code
    C(sovmigrate wave run) uses, so a stage run by AWX, C(ansible-playbook) or C(ansible-pull)
    advances the campaign exactly as the orchestrator would. Also records each host's recap.
  - A play belongs to a stage by its C(sovmigrate_stage) variable or its playbook's file name
    (C(precheck.yml), C(capture.yml), ...). Hosts not in the campaign are ignored.
  - The destructive stage is recorded only when the reinstall play's gate task began it.
  - When the store cannot be reached and O(spool_dir) is set, results are written there and sent
    by the next run that reaches the store.
  - Needs the C(sovmigrate) Python package on the controller (the execution environment).
requirements:
  - sovmigrate (Python package), psycopg 3 for a PostgreSQL store
options:
  db:
    description:
      - Path of the SQLite store or C(postgresql://user@host/db) URL. Give the password with
        E(PGPASSWORD) or a C(.pgpass) file, not in the URL.
    type: str
    required: true
    env:
      - name: SOVMIGRATE_DB
    ini:
      - section: sovmigrate
        key: db
  campaign:
    description: Campaign name; optional when the store holds one campaign.
    type: str
    env:
      - name: SOVMIGRATE_CAMPAIGN
    ini:
      - section: sovmigrate
        key: campaign
  spool_dir:
    description: Where results wait when the store is unreachable (ansible-pull on laptops).
    type: path
    env:
      - name: SOVMIGRATE_SPOOL
    ini:
      - section: sovmigrate
        key: spool_dir
  source:
    description: What ran the playbook, kept with each host's recap.
    type: str
    default: ansible-playbook
    env:
      - name: SOVMIGRATE_SOURCE
    ini:
      - section: sovmigrate
        key: source
"""

import atexit
import sys
from pathlib import Path
from typing import Any

from ansible import context
from ansible.errors import AnsibleError
from ansible.plugins.callback import CallbackBase
from ansible.utils.display import Display

display = Display()


def _import_recorder() -> Any:
    _need_sovmigrate()
    from sovmigrate.run.callback import PlaybookRecorder, stage_of

    return PlaybookRecorder, stage_of


def _need_sovmigrate() -> None:
    """The sovmigrate package: installed, or the checkout these plugins are part of."""
    try:
        import sovmigrate  # noqa: F401
    except ImportError:
        # ansible-pull runs from a checkout of the repository: its sovmigrate package is there.
        checkout = Path(__file__).resolve().parents[2]
        if not (checkout / "sovmigrate" / "__init__.py").is_file():
            raise AnsibleError(
                "the sovmigrate.migrate plugins need the sovmigrate Python package on the "
                "controller (pip install 'sovmigrate[postgres]', or the execution environment)"
            ) from None
        sys.path.insert(0, str(checkout))


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "sovmigrate.migrate.state_store"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._recorder: Any = None
        self._stage_of: Any = None
        self._play: Any = None
        self._playbook = ""

    def set_options(self, *args: Any, **kwargs: Any) -> None:
        super().set_options(*args, **kwargs)
        if context.CLIARGS.get("check"):
            # Nothing really ran: a check-mode job must not move a machine (the reinstall
            # play's gate only reads in check mode, too).
            display.display("sovmigrate: check mode, nothing is recorded in the state store")
            return
        recorder_class, self._stage_of = _import_recorder()
        spool = self.get_option("spool_dir")
        self._recorder = recorder_class(
            self.get_option("db"),
            self.get_option("campaign"),
            source=self.get_option("source"),
            spool_dir=Path(spool) if spool else None,
            warn=display.warning,
            note=display.display,
        )
        self._recorder.open()
        # An interrupted playbook sends no stats: its open runs are closed as canceled then.
        atexit.register(self._recorder.close)

    # -- plays ---------------------------------------------------------------------------
    def v2_playbook_on_start(self, playbook: Any) -> None:
        self._playbook = str(getattr(playbook, "_file_name", "") or "")

    def v2_playbook_on_play_start(self, play: Any) -> None:
        if self._recorder is None:
            return
        self._end_play()
        self._play = play
        self._recorder.play_start(self._stage_of(dict(play.vars or {}), play.get_path() or ""))

    def _end_play(self) -> None:
        if self._play is not None:
            self._recorder.play_end(list(self._play._removed_hosts))

    def v2_playbook_on_stats(self, stats: Any) -> None:
        if self._recorder is None:
            return
        self._end_play()
        self._play = None
        recaps = {host: stats.summarize(host) for host in sorted(stats.processed)}
        event = {
            "event": "playbook_on_stats",
            "playbook": self._playbook,
            "event_data": {"artifact_data": dict(stats.custom.get("_run", {}))},
        }
        # The store stays open: ansible-playbook may run several playbooks (closed at exit).
        self._recorder.playbook_end(event, recaps)

    # -- tasks: the shape ansible-runner gives its events, so one collector reads both ------
    def _runner(self, kind: str, result: Any, **extra: Any) -> None:
        if self._recorder is None:
            return
        self._recorder.event(
            {
                "event": kind,
                "event_data": {
                    "host": result._host.get_name(),
                    "task": result._task.get_name(),
                    "res": result._result,
                    **extra,
                },
            }
        )

    def v2_runner_on_start(self, host: Any, task: Any) -> None:
        if self._recorder is None:
            return
        self._recorder.event({"event": "runner_on_start", "event_data": {"host": host.get_name()}})

    def v2_runner_on_ok(self, result: Any) -> None:
        self._runner("runner_on_ok", result)

    def v2_runner_on_failed(self, result: Any, ignore_errors: bool = False) -> None:
        self._runner("runner_on_failed", result, ignore_errors=ignore_errors)

    def v2_runner_on_unreachable(self, result: Any) -> None:
        self._runner("runner_on_unreachable", result)

    def v2_runner_on_skipped(self, result: Any) -> None:
        self._runner("runner_on_skipped", result)
