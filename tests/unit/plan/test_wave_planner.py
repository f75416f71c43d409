"""The wave planner: pilot coverage, capacity, bandwidth, blocked machines, calendar."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import yaml

from sovmigrate.assess.catalogue import default_catalogue
from sovmigrate.assess.config import load_config
from sovmigrate.assess.pci import default_pci_table
from sovmigrate.assess.readiness import Assessor
from sovmigrate.fleet.model import Machine
from sovmigrate.plan import calendar
from sovmigrate.plan.inventory import write_inventories
from sovmigrate.plan.planner import PlanSettings, plan_waves

START = dt.date(2027, 1, 4)


def _fleet(tmp_path: Path, settings: str) -> tuple[list, object]:
    path = tmp_path / "campaign.yml"
    path.write_text(settings)
    config = load_config(path)
    assessor = Assessor(config, default_catalogue(), default_pci_table())
    machines = []
    models = [("Dell Inc.", "Latitude 5420"), ("HP", "ProDesk 600"), ("LENOVO", "T480")]
    for i in range(60):
        site = ("PARIS", "LYON", "LILLE")[i % 3]
        man, model = models[i % len(models)] if i < 30 else models[0]
        machines.append(Machine(
            key=f"k{i}", name=f"pc-{i:03d}", site=site, manufacturer=man, model=model,
            arch_bits=32 if i in (7, 8) else 64, ram_mb=8192, disk_gb=256, firmware="uefi",
            user_data_gb=10.0,
        ))  # fmt: skip
    return [(m, assessor.assess(m)) for m in machines], config


SETTINGS = """
sites:
  PARIS: {technicians: 2, machines_per_technician_per_day: 2, class: headquarters}
  LYON: {technicians: 1, machines_per_technician_per_day: 3, class: local}
  LILLE: {technicians: 1, machines_per_technician_per_day: 8, bandwidth_mbps: 5,
          window_hours: 2, class: local}
plan: {wave_days: 2, pilot_per_day: 2, pilot_review_days: 3}
"""


def test_plan_respects_pilot_capacity_bandwidth_and_calendar(tmp_path: Path) -> None:
    pairs, config = _fleet(tmp_path, SETTINGS)
    plan = plan_waves(pairs, config, PlanSettings.from_config(config, START))
    by_name = {m.name: m for m, _ in pairs}
    # blocked machines are out of every wave and listed with their reasons
    assert [(n, codes) for n, _, codes in plan.blocked] == [
        ("pc-007", ["arch-32bit"]), ("pc-008", ["arch-32bit"]),
    ]  # fmt: skip
    scheduled = [n for w in plan.waves for n in w.members]
    assert len(scheduled) == len(set(scheduled)) == 58
    pilot = plan.waves[0]
    assert pilot.pilot and pilot.start == START
    assert {by_name[n].hardware_model for n in pilot.members} == {
        "Dell Inc. Latitude 5420", "HP ProDesk 600", "LENOVO T480",
    }  # fmt: skip
    assert {config.site(by_name[n].site).site_class for n in pilot.members} == {
        "headquarters", "local",
    }  # fmt: skip
    assert max(pilot.per_day) <= 2
    first_site_day = min(w.start for w in plan.waves[1:])
    # pilot days, then 3 working days of review, then the sites start
    assert first_site_day == calendar.after(calendar.working_days(calendar.after(pilot.end), 3)[-1])
    limits = {"PARIS": 4, "LYON": 3, "LILLE": 1}  # LILLE: 5 Mb/s x 2 h carries ~3 GB a day
    for wave in plan.waves[1:]:
        assert max(wave.per_day) <= limits[wave.site]
        assert len(wave.days) <= 2
        assert all(calendar.is_working_day(d) for d in wave.days)
    lyon = [w for w in plan.waves if w.site == "LYON"]
    assert all(a.end < b.start for a, b in itertools.pairwise(lyon))
    assert plan.end == max(w.end for w in plan.waves)


def test_parallel_site_limit_serialises_sites(tmp_path: Path) -> None:
    pairs, config = _fleet(
        tmp_path,
        SETTINGS.replace("pilot_review_days: 3}", "pilot_review_days: 3, max_parallel_sites: 1}"),
    )
    assert config.plan["max_parallel_sites"] == 1
    plan = plan_waves(pairs, config, PlanSettings.from_config(config, START))
    spans = {}
    for w in plan.waves[1:]:
        lo, hi = spans.get(w.site, (w.start, w.end))
        spans[w.site] = (min(lo, w.start), max(hi, w.end))
    ordered = sorted(spans.values())
    assert all(a[1] < b[0] for a, b in itertools.pairwise(ordered))


def test_inventories_are_ansible_yaml_with_day_groups(tmp_path: Path) -> None:
    pairs, config = _fleet(tmp_path, SETTINGS)
    plan = plan_waves(pairs, config, PlanSettings.from_config(config, START))
    machines = {m.name: m for m, _ in pairs}
    out = write_inventories(tmp_path / "inventories", "demo", plan, machines)
    files = sorted(p.name for p in out.iterdir())
    assert files == sorted(f"{w.name}.yml" for w in plan.waves)
    doc = yaml.safe_load((out / "pilot.yml").read_text())
    group = doc["all"]["children"]["wave_pilot"]
    assert set(group["hosts"]) == set(plan.waves[0].members)
    day = f"day_{START.isoformat().replace('-', '_')}"
    assert set(group["children"][day]["hosts"]) <= set(group["hosts"])
    assert doc["all"]["vars"] == {"sovmigrate_campaign": "demo", "sovmigrate_wave": "pilot"}
    # a re-plan replaces the directory: stale wave files disappear
    (out / "stale.yml").write_text("---\n")
    write_inventories(tmp_path / "inventories", "demo", plan, machines)
    assert not (out / "stale.yml").exists()
