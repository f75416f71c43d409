"""What the fleet import stores of each machine, made where the machine is parsed.

Parsing, assessing and encoding a machine's facts are the import's cost. Done in the process
that parsed the inventory (a worker, for a large fleet), the parent receives a few strings per
machine instead of a whole ``Machine`` to unpickle: identity for the merge of duplicates, the
verdict's status, and the facts as JSON text, made with the parsed ``key`` and ``name`` (the
merge of duplicates and the naming of hosts may still change them: ``Prepared.facts_json``
then mends the text's head), and the machine's summary: what the wave planner reads
(``encode_summary``), stored in its own column so that planning 80,000 machines does not
decode their facts. The verdict is stored in the summary only: the facts are what the
inventory said, and a copy of the verdict in them cost a sixth of the encoding and was read
by nothing.
"""

from __future__ import annotations

import json
import json.scanner
import operator
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii
from typing import Any

from sovmigrate.assess.catalogue import load_catalogue
from sovmigrate.assess.config import CampaignConfig
from sovmigrate.assess.pci import default_pci_table
from sovmigrate.assess.readiness import Assessment, Assessor, Reason
from sovmigrate.fleet import partial
from sovmigrate.fleet.jsontext import dumps
from sovmigrate.fleet.model import Machine, remember

# The summary: what the planner and the wave inventories read of a machine, positional (a JSON
# array decodes in half the time of the same fields as an object: 80,000 summaries, 0.29 s
# instead of 0.58 s), ``rules`` being the ``Assessor.fingerprint`` of the verdict:
# [key, site, department, manufacturer, model, user_data_gb, status, reasons, hours, rules]
# with each reason [code, level] or [code, level, {parameter: value}].
_SUMMARY_LENGTH = 10


# What json.dumps does with a str, without its per-call set-up (twice per machine).
_quoted = encode_basestring_ascii


def _facts_head(key: str, name: str) -> str:
    return f'{{"key": {_quoted(key)}, "name": {_quoted(name)}, '


def _summary_head(key: str) -> str:
    return f"[{_quoted(key)}, "


@dataclass(slots=True)
class Prepared:
    key: str
    name: str
    uuid: str
    deviceid: str
    inventory_date: str
    site: str
    status: str  # the readiness verdict's
    facts: str  # the facts JSON, made with the key and name as parsed
    summary: str  # the summary JSON (``encode_summary``), made with the key as parsed
    parsed_key: str
    parsed_name: str
    # The machine itself when its inventory was partial: merged with the machine's other
    # inventories (fleet/partial.py) before it is stored, and assessed again then.
    machine: Machine | None = None

    @property
    def partial(self) -> bool:
        return self.machine is not None

    def parsed(self) -> Machine:
        """The machine as parsed (decoded from its facts when it was a full inventory)."""
        if self.machine is not None:
            return self.machine
        machine = Machine.from_facts(json.loads(self.facts_json()))
        return machine

    def __reduce__(self) -> tuple[type[Prepared], tuple[Any, ...]]:
        # Sent from the import's workers as the class and a tuple, not a dict of slots:
        # 2.5 us instead of 3.9 to pickle, 1.7 us instead of 2.9 to unpickle (per machine).
        return Prepared, _fields_of(self)

    def facts_json(self) -> str:
        """The facts, with the key and name the merge and the naming gave (most keep theirs:
        the text made in the worker is then taken as it is)."""
        if self.key == self.parsed_key and self.name == self.parsed_name:
            return self.facts
        old = len(_facts_head(self.parsed_key, self.parsed_name))
        return _facts_head(self.key, self.name) + self.facts[old:]

    def summary_json(self) -> str:
        if self.key == self.parsed_key:
            return self.summary
        return _summary_head(self.key) + self.summary[len(_summary_head(self.parsed_key)) :]


_fields_of = operator.attrgetter(*Prepared.__dataclass_fields__)


def assessor_for(config: CampaignConfig) -> Assessor:
    """The campaign's assessor: its rules, its catalogue (with its own entries first)."""
    return Assessor(config, load_catalogue(extra=config.catalogue_extra), default_pci_table())


# Set once per process by ``start``: the pool's initializer in a worker, the import itself
# when it parses in process. A module global because the pool calls module-level functions.
_assessor: Assessor | None = None


def start(config: CampaignConfig) -> None:
    global _assessor
    _assessor = assessor_for(config)


def prepare(machine: Machine) -> Prepared:
    assert _assessor is not None, "prepare.start(config) first"
    verdict = _assessor.assess(machine)
    key, name = machine.key, machine.name
    return Prepared(
        key,
        name,
        machine.uuid,
        machine.deviceid,
        machine.inventory_date,
        machine.site,
        verdict.status,
        _facts_head(key, name) + machine.facts_tail(),
        encode_summary(machine, verdict),
        key,
        name,
        machine if machine.partial else None,
    )


def combine(config: CampaignConfig, older: Prepared, newer: Prepared) -> Prepared:
    """Two inventories of one machine (``fleet/partial.py``: ``combine``), assessed again
    when a partial one was merged. In the import's parent process: started here if the
    parsing ran in workers."""
    if not newer.partial:
        return newer
    return combined(config, older.parsed(), newer.parsed())


def combined(config: CampaignConfig, older: Machine, newer: Machine) -> Prepared:
    """``partial.combine(older, newer)``, prepared (assessed and encoded)."""
    if _assessor is None:
        start(config)
    return prepare(partial.combine(older, newer))


def encode_summary(machine: Machine, verdict: Assessment) -> str:
    reasons = [
        [r.code, r.level, dict(r.params)] if r.params else [r.code, r.level]
        for r in verdict.reasons
    ]
    return dumps(  # json.dumps, without its per-call set-up
        [
            machine.key,
            machine.site,
            machine.department,
            machine.manufacturer,
            machine.model,
            machine.user_data_gb,
            verdict.status,
            reasons,
            verdict.transfer_hours,
            verdict.rules,
        ]
    )


# Most reasons carry no parameter: one shared Reason for each (code, level). Those with
# parameters repeat across the fleet too (the same firmware packages, the same titles not
# reviewed): shared as well, bounded (``remember``). Unshared, 65,000 of them took 125 MB
# more to plan 80,000 machines (benchmarks/fleet.py, plan peak RSS 360 MB instead of 235).
_plain_reasons: dict[tuple[str, str], Reason] = {}
_param_reasons: dict[tuple[Any, ...], Reason] = {}


# json.loads's own scanner, called directly: loads adds a third to the decoding of a short
# summary (type checks, the BOM test, the trailing whitespace match); 80,000 in a plan.
_scan: Any = json.scanner.make_scanner(json.JSONDecoder())  # type: ignore[arg-type]


def read_summary(
    name: str, text: str | None, fingerprint: str
) -> tuple[Machine, Assessment] | None:
    """The machine (what the planner reads of it) and the verdict of a stored summary; None
    when the verdict must be made again: made with other rules (``fingerprint``), stored in
    another form, or damaged (anything after the array, even blanks, counts as damage: the
    machine is then assessed again from its facts, which gives the verdict all the same)."""
    try:
        if not text:
            return None
        if type(text) is str:
            data, end = _scan(text, 0)
            if end != len(text):
                return None
        else:  # bytes from some driver: as json.loads reads them
            data = json.loads(text)
        if type(data) is not list or len(data) != _SUMMARY_LENGTH or data[9] != fingerprint:
            return None
        return _read(name, data)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, StopIteration):
        return None


def _read(name: str, data: list[Any]) -> tuple[Machine, Assessment]:
    key, site, department, manufacturer, model, data_gb, status, reasons, hours, rules = data
    found = []
    for reason in reasons:
        if len(reason) == 2:
            shared = _plain_reasons.get((reason[0], reason[1]))
            if shared is None:
                shared = _plain_reasons[reason[0], reason[1]] = Reason(reason[0], reason[1])
            found.append(shared)
        else:
            fields = (reason[0], reason[1], tuple(reason[2].items()))
            try:
                shared = _param_reasons.get(fields) or remember(
                    _param_reasons, fields, Reason(*fields)
                )
            except TypeError:  # a list or an object among the values: not hashable
                shared = Reason(*fields)
            found.append(shared)
    machine = Machine(
        key=key,
        name=name,
        site=site,
        department=department,
        manufacturer=manufacturer,
        model=model,
        user_data_gb=data_gb,
    )
    return machine, Assessment(status, tuple(found), transfer_hours=float(hours), rules=rules)
