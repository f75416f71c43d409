"""The operator's machine verbs: exclude, rollback, retry (recorded with a reason) and vars.

Same options as the wave commands (``--db``, ``--campaign``): see cli/wave.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from sovmigrate.cli.wave import _FORMATS, _actor, _emit, _opened, store_options
from sovmigrate.errors import UsageError


@click.group("machine")
def machine() -> None:
    """Operator decisions on one machine (recorded with a reason), and its host variables."""


_OPERATOR_HELP = {
    "exclude": "Take NAME out of the migration (recorded; `retry` brings it back).",
    "rollback": "Record that NAME was put back as it was before the migration.",
    "retry": "Put a failed, excluded or rolled-back NAME back where it stopped.",
}


def _operator(verb: str) -> Callable[..., Any]:
    # help= here: click reads the help when the command is made, before a __doc__ is set.
    @machine.command(verb, help=_OPERATOR_HELP[verb])
    @click.argument("name")
    @click.option("--reason", required=True, help="Why (recorded in the history).")
    @click.option("--format", "fmt", type=_FORMATS, default="text")
    @store_options
    def command(name: str, reason: str, fmt: str, db: str | None, campaign: str | None) -> None:
        from sovmigrate.state import pipeline

        with _opened(db, campaign) as (store, camp):
            after = getattr(pipeline, verb)(store, store.machine(camp, name), reason, _actor())
        _emit({"name": name, "state": after.state}, fmt, lambda: f"{name}: {after.state}")

    return command


for _verb in ("exclude", "rollback", "retry"):
    _operator(_verb)


@machine.command("vars")
@click.argument("name")
@click.argument("assignments", nargs=-1, metavar="[KEY=VALUE]...")
@click.option("--unset", "unset", multiple=True, metavar="KEY", help="Remove this variable.")
@click.option("--format", "fmt", type=_FORMATS, default="text")
@store_options
def machine_vars(
    name: str,
    assignments: tuple[str, ...],
    unset: tuple[str, ...],
    fmt: str,
    db: str | None,
    campaign: str | None,
) -> None:
    """Show or set NAME's Ansible host variables (ansible_host, sovmigrate_mac...).

    Values are strings. A fleet re-import keeps them; `wave inventory` and `wave run` use them.
    """
    values = {}
    for item in assignments:
        key, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"{item!r}: expected KEY=VALUE")
        values[key] = value
    with _opened(db, campaign) as (store, camp):
        if values or unset:
            current = store.set_vars(camp, name, values, unset)
        else:
            current = store.machine(camp, name).vars
    lines = [f"{k}={v}" for k, v in sorted(current.items())]
    _emit(current, fmt, lambda: "\n".join(lines) or f"{name}: no host variables")
