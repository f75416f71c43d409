"""A campaign's settings (``inventories/<campaign>/campaign.yml``), merged over the defaults.

Sections (all optional, documented in docs/campaign.md):
``readiness`` (target values, rule levels), ``catalogue`` (extra entries tried before the
shipped ones, e.g. local business applications), ``sites`` (per site: technicians,
machines_per_technician_per_day, bandwidth_mbps, window_hours, class) and ``plan`` (start date,
defaults for sites, pilot size).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sovmigrate.errors import UsageError

# libyaml when present: the pure-Python loader takes a second and a half on the catalogue.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

RULES_DATA = Path(__file__).with_name("data") / "readiness_rules.yml"
LEVELS = ("info", "needs-action", "blocked")
_SECTIONS = {"readiness", "catalogue", "sites", "plan"}


@dataclass
class SiteSettings:
    technicians: int = 2
    machines_per_technician_per_day: int = 8
    bandwidth_mbps: float = 100.0
    window_hours: float = 10.0
    site_class: str = "standard"


@dataclass
class CampaignConfig:
    rules: dict[str, Any]
    catalogue_extra: list[dict[str, Any]] = field(default_factory=list)
    sites: dict[str, SiteSettings] = field(default_factory=dict)
    site_defaults: SiteSettings = field(default_factory=SiteSettings)
    plan: dict[str, Any] = field(default_factory=dict)
    source: str = "defaults"

    def site(self, name: str) -> SiteSettings:
        return self.sites.get(name, self.site_defaults)


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _positive(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise UsageError(f"{where}: expected a positive number, found {value!r}")
    return float(value)


def _site(raw: Any, base: SiteSettings, where: str) -> SiteSettings:
    if not isinstance(raw, dict):
        raise UsageError(f"{where}: expected a mapping")
    known = {"technicians", "machines_per_technician_per_day", "bandwidth_mbps", "window_hours"}
    unknown = set(raw) - known - {"class"}
    if unknown:
        raise UsageError(f"{where}: unknown setting {sorted(unknown)[0]!r}")
    values = {k: _positive(raw[k], f"{where}.{k}") for k in known if k in raw}
    return SiteSettings(
        technicians=int(values.get("technicians", base.technicians)),
        machines_per_technician_per_day=int(
            values.get("machines_per_technician_per_day", base.machines_per_technician_per_day)
        ),
        bandwidth_mbps=values.get("bandwidth_mbps", base.bandwidth_mbps),
        window_hours=values.get("window_hours", base.window_hours),
        site_class=str(raw.get("class", base.site_class)),
    )


def _check_rules(rules: dict[str, Any], where: str) -> None:
    for code, rule in (rules.get("rules") or {}).items():
        if not isinstance(rule, dict):
            raise UsageError(f"{where}: readiness.rules.{code}: expected a mapping")
        if rule.get("level") not in LEVELS:
            raise UsageError(
                f"{where}: readiness.rules.{code}.level: {rule.get('level')!r} not in {LEVELS}"
            )
    for key, value in (rules.get("target") or {}).items():
        if key != "name":
            _positive(value, f"{where}: readiness.target.{key}")
    packages = (rules.get("drivers") or {}).get("image_firmware") or []
    if not isinstance(packages, list) or not all(isinstance(p, str) for p in packages):
        raise UsageError(
            f"{where}: readiness.drivers.image_firmware: expected a list of Debian package "
            f"names, found {packages!r}"
        )


def load_config(path: Path | None) -> CampaignConfig:
    """Defaults merged with ``path`` (missing file: defaults only)."""
    defaults = yaml.load(RULES_DATA.read_text(encoding="utf-8"), Loader=_LOADER)
    if path is None or not path.exists():
        return CampaignConfig(rules=defaults)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise UsageError(f"{path}: unreadable campaign settings ({exc})") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path}: expected a mapping at the top level")
    unknown = set(data) - _SECTIONS
    if unknown:
        raise UsageError(f"{path}: unknown section {sorted(unknown)[0]!r} (known: {_SECTIONS})")
    unknown_codes = set((data.get("readiness") or {}).get("rules") or {}) - set(defaults["rules"])
    if unknown_codes:
        raise UsageError(f"{path}: readiness.rules: unknown code {sorted(unknown_codes)[0]!r}")
    rules = _merge(defaults, data.get("readiness") or {})
    _check_rules(rules, str(path))
    plan = data.get("plan") or {}
    base = _site(plan.get("site_defaults", {}), SiteSettings(), f"{path}: plan.site_defaults")
    sites = {
        str(name): _site(raw or {}, base, f"{path}: sites.{name}")
        for name, raw in (data.get("sites") or {}).items()
    }
    extra = data.get("catalogue") or []
    if not isinstance(extra, list):
        raise UsageError(f"{path}: catalogue: expected a list of entries")
    return CampaignConfig(rules, extra, sites, base, plan, str(path))
