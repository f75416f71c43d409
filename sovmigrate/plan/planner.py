"""The wave planner: a pilot ring, then waves by site under capacity and bandwidth limits.

- Blocked machines are left out and listed with their reasons.
- The pilot covers every hardware model and every site class (ready machines preferred), and is
  followed by a review period before the first site wave.
- Each site migrates at most ``technicians x machines_per_technician_per_day`` machines a day,
  and no more user data a day than its link carries in the maintenance window (a machine whose
  data alone exceeds it still goes, alone, that day: the readiness reason says "capture
  locally"). Sites run in parallel, at most ``max_parallel_sites`` at once (0: no limit).
- A wave is one site's ``wave_days`` consecutive working days (French calendar).
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sovmigrate.assess.config import CampaignConfig
from sovmigrate.assess.readiness import BLOCKED, READY, Assessment
from sovmigrate.errors import UsageError
from sovmigrate.fleet.model import Machine
from sovmigrate.plan import calendar


@dataclass
class PlanSettings:
    start: dt.date
    wave_days: int = 5
    pilot_per_day: int = 10
    pilot_review_days: int = 10
    max_parallel_sites: int = 0
    alsace_moselle: bool = False
    efficiency: float = 0.7

    @classmethod
    def from_config(cls, config: CampaignConfig, start: dt.date | None = None) -> PlanSettings:
        plan = config.plan
        raw_start = start or plan.get("start")
        if raw_start is None:
            raw_start = dt.date.today() + dt.timedelta(days=14)
        if isinstance(raw_start, str):
            try:
                raw_start = dt.date.fromisoformat(raw_start)
            except ValueError:
                raise UsageError(f"plan.start: {raw_start!r} is not a date (YYYY-MM-DD)") from None
        values: dict[str, Any] = {}
        for key in ("wave_days", "pilot_per_day", "pilot_review_days", "max_parallel_sites"):
            if key in plan:
                value = plan[key]
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise UsageError(f"plan.{key}: expected a whole number, found {value!r}")
                values[key] = value
        if values.get("wave_days", 1) < 1 or values.get("pilot_per_day", 1) < 1:
            raise UsageError("plan.wave_days and plan.pilot_per_day must be at least 1")
        return cls(
            start=raw_start,
            alsace_moselle=bool(plan.get("alsace_moselle", False)),
            efficiency=float(config.rules["transfer"]["efficiency"]),
            **values,
        )


@dataclass
class Wave:
    name: str
    site: str
    days: list[dt.date]
    members: list[str]  # machine names, in migration order
    per_day: list[int]
    data_gb: float
    pilot: bool = False

    @property
    def start(self) -> dt.date:
        return self.days[0]

    @property
    def end(self) -> dt.date:
        return self.days[-1]


@dataclass
class Plan:
    waves: list[Wave]
    blocked: list[tuple[str, str, list[str]]]  # (machine, site, reason codes)
    settings: PlanSettings
    site_capacity: dict[str, tuple[int, float]] = field(default_factory=dict)  # /day: count, GB

    @property
    def end(self) -> dt.date | None:
        return max((w.end for w in self.waves), default=None)

    @property
    def scheduled(self) -> int:
        return sum(len(w.members) for w in self.waves)


def _pilot(machines: list[tuple[Machine, Assessment]], config: CampaignConfig) -> list[Machine]:
    """One machine per hardware model and per site class: the smallest ring that covers both."""
    chosen: dict[str, Machine] = {}
    order = sorted(machines, key=lambda p: (p[1].status != READY, p[0].site, p[0].name))
    seen_models: set[str] = set()
    seen_classes: set[str] = set()
    for machine, _ in order:
        model = machine.hardware_model
        klass = config.site(machine.site).site_class
        if model not in seen_models or klass not in seen_classes:
            chosen[machine.name] = machine
            seen_models.add(model)
            seen_classes.add(klass)
    return list(chosen.values())


def _daily_limits(config: CampaignConfig, site: str, efficiency: float) -> tuple[int, float]:
    s = config.site(site)
    per_day = max(1, s.technicians * s.machines_per_technician_per_day)
    gb_per_day = s.bandwidth_mbps * efficiency * s.window_hours * 3600 / 8 / 1024
    return per_day, gb_per_day


def _pack_days(members: list[Machine], per_day: int, gb_per_day: float) -> list[list[Machine]]:
    days: list[list[Machine]] = []
    today: list[Machine] = []
    data = 0.0
    for m in members:
        if today and (len(today) >= per_day or data + m.user_data_gb > gb_per_day):
            days.append(today)
            today, data = [], 0.0
        today.append(m)
        data += m.user_data_gb
    if today:
        days.append(today)
    return days


def plan_waves(
    machines: list[tuple[Machine, Assessment]], config: CampaignConfig, settings: PlanSettings
) -> Plan:
    am = settings.alsace_moselle
    blocked = [
        (m.name, m.site, [r.code for r in a.reasons if r.level == BLOCKED])
        for m, a in machines
        if a.status == BLOCKED
    ]
    eligible = [(m, a) for m, a in machines if a.status != BLOCKED]
    waves: list[Wave] = []
    pilot = _pilot(eligible, config)
    next_start = calendar.next_working_day(settings.start, am)
    if pilot:
        n_days = math.ceil(len(pilot) / settings.pilot_per_day)
        days = calendar.working_days(next_start, n_days, am)
        per_day = [len(pilot[i::n_days]) for i in range(n_days)]
        data = round(sum(m.user_data_gb for m in pilot), 1)
        waves.append(Wave("pilot", "*", days, [m.name for m in pilot], per_day, data, pilot=True))
        review_end = calendar.working_days(
            calendar.after(days[-1], am), settings.pilot_review_days or 1, am
        )
        next_start = (
            calendar.after(review_end[-1], am)
            if settings.pilot_review_days
            else calendar.after(days[-1], am)
        )
    in_pilot = {m.name for m in pilot}
    by_site: dict[str, list[Machine]] = defaultdict(list)
    for m, _ in eligible:
        if m.name not in in_pilot:
            by_site[m.site].append(m)
    capacity = {s: _daily_limits(config, s, settings.efficiency) for s in by_site}
    # Ready machines first: needs-action ones get the most time for their fix.
    status = {m.name: a.status for m, a in eligible}
    slots = max(1, settings.max_parallel_sites or len(by_site) or 1)
    lanes = [(next_start, i) for i in range(slots)]
    heapq.heapify(lanes)
    for site in sorted(by_site):
        members = sorted(by_site[site], key=lambda m: (status[m.name] != READY, m.name))
        site_per_day, gb_day = capacity[site]
        daily = _pack_days(members, site_per_day, gb_day)
        lane_free, lane = heapq.heappop(lanes)
        day = calendar.next_working_day(lane_free, am)
        for number, start in enumerate(range(0, len(daily), settings.wave_days), 1):
            chunk = daily[start : start + settings.wave_days]
            days = calendar.working_days(day, len(chunk), am)
            names = [m.name for d in chunk for m in d]
            data = round(sum(m.user_data_gb for d in chunk for m in d), 1)
            waves.append(
                Wave(f"{site}-w{number:02d}", site, days, names, [len(d) for d in chunk], data)
            )
            day = calendar.after(days[-1], am)
        heapq.heappush(lanes, (day, lane))
    return Plan(waves, sorted(blocked), settings, capacity)
