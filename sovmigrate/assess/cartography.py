"""The fleet's figures: readiness, dependency map by publisher / jurisdiction / axis, projection.

Two figures, in total and per axis, over the installations the catalogue knows (action
``ignore``, drivers, runtimes and components, excluded; titles not reviewed excluded):

- the **non-EU share**: installations of titles whose publisher's head office is outside the
  European Union, free or proprietary;
- the **non-EU proprietary share** (the dependencies): installations of proprietary titles
  from publishers outside the European Union.

After a machine migrates, its installations whose action is ``replace``, ``web`` or
``remove`` stop being dependencies; ``linux-version`` and ``exception`` remain. For the
non-EU share, such an installation then counts as its replacement: non-EU when the catalogue
knows the replacement by name under a non-EU publisher (Chrome replaced by Firefox stays
non-EU), else not.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sovmigrate.assess.catalogue import AXES, RESOLVING_ACTIONS, Catalogue, Entry
from sovmigrate.assess.readiness import STATUSES, Assessment
from sovmigrate.fleet.model import Machine


@dataclass
class Group:
    """Per site or department: machine counts by status and dependency installations."""

    machines: int = 0
    status: Counter[str] = field(default_factory=Counter)
    installs: int = 0
    dependencies: int = 0
    non_eu: int = 0


@dataclass
class Projection:
    label: str  # "before", then wave names
    date: str
    migrated: int
    dependencies: int
    share: float
    by_axis: dict[str, int]
    non_eu: int = 0
    non_eu_share: float = 0.0
    non_eu_by_axis: dict[str, int] = field(default_factory=dict)


@dataclass
class Diagnostic:
    machines: int
    status: Counter[str]
    reasons: Counter[str]
    reason_levels: dict[str, str]
    installs: int  # catalogue-known installations, drivers and runtimes excluded
    dependencies: int  # of them, proprietary from a non-EU publisher
    non_eu: int  # of them, from a non-EU publisher (free or proprietary)
    unmatched_installs: int  # machine-title pairs: a title counts once per machine
    ignored_installs: int
    by_publisher: dict[str, list[int]]  # publisher -> [installs, machines]
    publisher_country: dict[str, str]
    by_jurisdiction: Counter[str]
    by_axis: dict[str, Counter[str]]  # axis -> {"installs", "dependencies", "non_eu", "machines"}
    by_action: Counter[str]
    by_entry: Counter[str]
    unmatched: Counter[str]  # title -> machines running it
    sites: dict[str, Group]
    departments: dict[str, Group]
    projection: list[Projection]

    @property
    def share(self) -> float:
        """The non-EU proprietary share (dependencies among known installations)."""
        return self.dependencies / self.installs if self.installs else 0.0

    @property
    def non_eu_share(self) -> float:
        """The non-EU share (installations from non-EU publishers, free or not)."""
        return self.non_eu / self.installs if self.installs else 0.0


def _replacement_non_eu(entry: Entry, catalogue: Catalogue) -> bool:
    found = catalogue.match(entry.replacement) if entry.replacement else None
    return found is not None and found.jurisdiction == "non-eu"


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
    installs = dependencies = non_eu = ignored = 0
    # machine -> axis -> dependencies / non-EU installations its migration resolves
    resolvable: dict[str, tuple[Counter[str], Counter[str]]] = {}
    stays_non_eu: dict[str, bool] = {}  # entry id -> its replacement is non-EU too
    for machine, result in pairs:
        status[result.status] += 1
        for r in result.reasons:
            reasons[r.code] += 1
            levels[r.code] = r.level
        unmatched.update(set(result.unmatched))  # machines per title, not installations
        publishers_here: set[str] = set()
        axes_here: set[str] = set()
        mine = foreign = 0
        resolved: Counter[str] = Counter()
        resolved_non_eu: Counter[str] = Counter()
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
            if entry.jurisdiction == "non-eu":
                foreign += 1
                axis["non_eu"] += 1
                if entry.action in RESOLVING_ACTIONS:
                    if entry.id not in stays_non_eu:
                        stays_non_eu[entry.id] = _replacement_non_eu(entry, catalogue)
                    if not stays_non_eu[entry.id]:
                        resolved_non_eu[entry.axis] += 1
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
        non_eu += foreign
        resolvable[machine.name] = (resolved, resolved_non_eu)
        for group in (sites[machine.site], departments[machine.department]):
            group.machines += 1
            group.status[result.status] += 1
            group.installs += installs_here
            group.dependencies += mine
            group.non_eu += foreign
    countries = {e.publisher: e.country for e in catalogue.entries}
    projection = _project(installs, by_axis, resolvable, waves)
    return Diagnostic(
        machines=len(pairs),
        status=status,
        reasons=reasons,
        reason_levels=levels,
        installs=installs,
        dependencies=dependencies,
        non_eu=non_eu,
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


def _project(
    installs: int,
    by_axis: dict[str, Counter[str]],
    resolvable: dict[str, tuple[Counter[str], Counter[str]]],
    waves: Sequence[tuple[str, str, list[str]]],
) -> list[Projection]:
    """Both figures before the campaign, then after each wave (its machines migrated)."""
    deps_axis = {a: c["dependencies"] for a, c in by_axis.items()}
    foreign_axis = {a: c["non_eu"] for a, c in by_axis.items()}

    def point(label: str, date: str, migrated: int) -> Projection:
        deps, foreign = sum(deps_axis.values()), sum(foreign_axis.values())
        return Projection(
            label,
            date,
            migrated,
            deps,
            deps / installs if installs else 0.0,
            dict(deps_axis),
            foreign,
            foreign / installs if installs else 0.0,
            dict(foreign_axis),
        )

    projection = [point("before", "", 0)]
    migrated = 0
    for name, date, members in waves:
        for member in members:
            resolved, resolved_non_eu = resolvable.get(member, (Counter(), Counter()))
            for a, n in resolved.items():
                deps_axis[a] -= n
            for a, n in resolved_non_eu.items():
                foreign_axis[a] -= n
        migrated += len(members)
        projection.append(point(name, date, migrated))
    return projection
