"""Read-only views of the store for ``status`` and ``history`` (plain data, JSON-ready)."""

from __future__ import annotations

import dataclasses
from typing import Any

from sovmigrate.state.models import Campaign, Machine
from sovmigrate.state.pipeline_states import ALL_STATES
from sovmigrate.state.store import Store


def _last_reason(store: Store, machine: Machine) -> str:
    transitions = store.transitions(machine.id)
    return transitions[-1].reason if transitions else ""


def wave_status(store: Store, campaign: Campaign, wave_name: str) -> dict[str, Any]:
    wave = store.wave(campaign, wave_name)
    machines = store.machines(campaign, wave=wave)
    counts = {s: 0 for s in ALL_STATES}
    for m in machines:
        counts[m.state] += 1
    return {
        "campaign": campaign.name,
        "wave": wave.name,
        "planned_for": wave.planned_for,
        "machines": len(machines),
        "states": {k: v for k, v in counts.items() if v},
        "members": [
            {
                "name": m.name,
                "site": m.site,
                "state": m.state,
                "failed_stage": m.failed_stage,
                "reason": _last_reason(store, m)
                if m.state in ("failed", "excluded", "rolled_back")
                else "",
            }
            for m in machines
        ],
    }


def campaign_status(store: Store, campaign: Campaign) -> dict[str, Any]:
    waves = []
    for wave in store.waves(campaign):
        counts: dict[str, int] = {}
        for m in store.machines(campaign, wave=wave):
            counts[m.state] = counts.get(m.state, 0) + 1
        waves.append({"wave": wave.name, "planned_for": wave.planned_for, "states": counts})
    return {"campaign": campaign.name, "machines": store.count_machines(campaign), "waves": waves}


def machine_history(store: Store, machine: Machine) -> dict[str, Any]:
    return {
        "name": machine.name,
        "campaign_id": machine.campaign_id,
        "wave": machine.wave,
        "state": machine.state,
        "failed_stage": machine.failed_stage,
        "transitions": [dataclasses.asdict(t) for t in store.transitions(machine.id)],
        "stage_runs": [dataclasses.asdict(r) for r in store.stage_runs(machine_id=machine.id)],
        "verifications": [dataclasses.asdict(v) for v in store.verifications(machine.id)],
    }


def history_text(history: dict[str, Any]) -> str:
    lines = [f"{history['name']}: {history['state']} (wave {history['wave'] or '-'})"]
    events: list[tuple[str, str]] = []
    for t in history["transitions"]:
        reason = f" — {t['reason']}" if t["reason"] else ""
        events.append((t["at"], f"{t['from_state']} -> {t['to_state']}{reason} [{t['actor']}]"))
    for r in history["stage_runs"]:
        end = r["ended_at"] or "…"
        events.append((r["started_at"], f"run {r['stage']}: {r['result']} (until {end})"))
    for v in history["verifications"]:
        verdict = "verified" if v["verified"] else "NOT verified"
        events.append((v["at"], f"{v['kind']} {v['user']}: {verdict}, {v['files']} files"))
    lines += [f"  {at}  {text}" for at, text in sorted(events)]
    return "\n".join(lines)
