"""The fleet's figures: readiness, dependency map by publisher / jurisdiction / axis, projection.

The published figure is the share of software installations that are proprietary titles from
publishers outside the European Union, among the installations the catalogue knows (drivers
and runtimes excluded). After a machine migrates, its installations whose action is
``replace``, ``web`` or ``remove`` stop counting; ``linux-version`` and ``exception`` remain.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sovmigrate.assess.catalogue import AXES, RESOLVING_ACTIONS, Catalogue
from sovmigrate.assess.readiness import STATUSES, Assessment
from sovmigrate.fleet.model import Machine


@dataclass
class Group:
    """Per site or department: machine counts by status and dependency installations."""

    machines: int = 0
    status: Counter[str] = field(default_factory=Counter)
    installs: int = 0
    dependencies: int = 0


@dataclass
class Projection:
    label: str  # "before", then wave names
    date: str
    migrated: int
    dependencies: int
    share: float
    by_axis: dict[str, int]


@dataclass
class Diagnostic:
    machines: int
    status: Counter[str]
    reasons: Counter[str]
    reason_levels: dict[str, str]
    installs: int  # catalogue-known installations, drivers and runtimes excluded
    dependencies: int
    unmatched_installs: int  # machine-title pairs: a title counts once per machine
    ignored_installs: int
    by_publisher: dict[str, list[int]]  # publisher -> [installs, machines]
    publisher_country: dict[str, str]
    by_jurisdiction: Counter[str]
    by_axis: dict[str, Counter[str]]  # axis -> {"installs", "dependencies", "machines"}
    by_action: Counter[str]
    by_entry: Counter[str]
    unmatched: Counter[str]  # title -> machines running it
    sites: dict[str, Group]
    departments: dict[str, Group]
    projection: list[Projection]

    @property
    def share(self) -> float:
        return self.dependencies / self.installs if self.installs else 0.0


def summarize(
    pairs: list[tuple[Machine, Assessment]],
    catalogue: Catalogue,
    waves: Sequence[tuple[str, str, list[str]]] = (),
) -> Diagnostic:
    """Aggregate assessments; ``waves`` = (name, date, members) in order, for the projection."""
    status: Counter[str] = Counter({s: 0 for s in STATUSES})
    reasons: Counter[str] = Counter()
    levels: dict[str, str] = {}
    by_publisher: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_jurisdiction: Counter[str] = Counter()
    by_axis: dict[str, Counter[str]] = {a: Counter() for a in AXES}
    by_action: Counter[str] = Counter()
    by_entry: Counter[str] = Counter()
    unmatched: Counter[str] = Counter()
    sites: dict[str, Group] = defaultdict(Group)
    departments: dict[str, Group] = defaultdict(Group)
    installs = dependencies = ignored = 0
    resolvable: dict[str, Counter[str]] = {}  # machine -> axis -> dependencies resolved
    for machine, result in pairs:
        status[result.status] += 1
        for r in result.reasons:
            reasons[r.code] += 1
            levels[r.code] = r.level
        unmatched.update(set(result.unmatched))  # machines per title, not installations
        publishers_here: set[str] = set()
        axes_here: set[str] = set()
        mine = 0
        resolved: Counter[str] = Counter()
        for entry in result.matched:
            by_action[entry.action] += 1
            by_entry[entry.id] += 1
            if entry.action == "ignore":
                ignored += 1
                continue
            installs += 1
            by_publisher[entry.publisher][0] += 1
            publishers_here.add(entry.publisher)
            by_jurisdiction[entry.jurisdiction] += 1
            axis = by_axis[entry.axis]
            axis["installs"] += 1
            if entry.dependency:
                mine += 1
                axis["dependencies"] += 1
                axes_here.add(entry.axis)
                if entry.action in RESOLVING_ACTIONS:
                    resolved[entry.axis] += 1
        for p in publishers_here:
            by_publisher[p][1] += 1
        for a in axes_here:
            by_axis[a]["machines"] += 1
        installs_here = sum(1 for e in result.matched if e.action != "ignore")
        dependencies += mine
        resolvable[machine.name] = resolved
        for group in (sites[machine.site], departments[machine.department]):
            group.machines += 1
            group.status[result.status] += 1
            group.installs += installs_here
            group.dependencies += mine
    countries = {e.publisher: e.country for e in catalogue.entries}
    current_axis = {a: c["dependencies"] for a, c in by_axis.items()}
    projection = [
        Projection(
            "before",
            "",
            0,
            dependencies,
            dependencies / installs if installs else 0.0,
            dict(current_axis),
        )
    ]
    migrated = 0
    remaining = dependencies
    for name, date, members in waves:
        for member in members:
            gone = resolvable.get(member)
            if gone:
                remaining -= sum(gone.values())
                for a, n in gone.items():
                    current_axis[a] -= n
        migrated += len(members)
        share = remaining / installs if installs else 0.0
        projection.append(Projection(name, date, migrated, remaining, share, dict(current_axis)))
    return Diagnostic(
        machines=len(pairs),
        status=status,
        reasons=reasons,
        reason_levels=levels,
        installs=installs,
        dependencies=dependencies,
        unmatched_installs=sum(unmatched.values()),
        ignored_installs=ignored,
        by_publisher=dict(by_publisher),
        publisher_country=countries,
        by_jurisdiction=by_jurisdiction,
        by_axis=by_axis,
        by_action=by_action,
        by_entry=by_entry,
        unmatched=unmatched,
        sites=dict(sites),
        departments=dict(departments),
        projection=projection,
    )
