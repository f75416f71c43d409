"""Readiness of one machine: ``ready``, ``needs-action`` or ``blocked``, with stable reason codes.

Thresholds, levels and messages are data (data/readiness_rules.yml, overridden per campaign);
this module only measures. Each ``Reason`` keeps its parameters so the message can be rendered
in French or English later.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sovmigrate import __version__
from sovmigrate.assess.catalogue import Catalogue, Entry
from sovmigrate.assess.config import CampaignConfig
from sovmigrate.assess.pci import PciTable
from sovmigrate.fleet.model import APPLICATION, UNKNOWN, Controller, Machine, remember

READY, NEEDS_ACTION, BLOCKED = "ready", "needs-action", "blocked"
STATUSES = (READY, NEEDS_ACTION, BLOCKED)
_RANK = {"info": 0, "needs-action": 1, "blocked": 2}
_TITLES_SHOWN = 5  # in a software-not-reviewed message
_MISSING = {"wifi": "driver-missing-wifi", "network": "driver-missing-network"}


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "…"


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    level: str
    params: tuple[tuple[str, Any], ...] = ()

    def message(self, rules: dict[str, Any], lang: str = "fr") -> str:
        rule = rules["rules"].get(self.code, {})
        text = rule.get(lang) or rule.get("fr") or self.code
        try:
            # A summary (no parameters) shows "…" where a machine's value would be.
            return str(text).format_map(_Blank(dict(self.params)))
        except (IndexError, ValueError):
            return str(text)


@dataclass(slots=True)
class Assessment:
    status: str
    reasons: tuple[Reason, ...]
    matched: tuple[Entry, ...] = ()  # one per installed title that the catalogue knows
    unmatched: tuple[str, ...] = ()
    transfer_hours: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)
    rules: str = ""  # the Assessor.fingerprint it was made with


# What the installed software adds to a verdict: its reasons, the catalogue entries matched,
# the titles not reviewed.
_SoftwarePart = tuple[tuple[Reason, ...], tuple[Entry, ...], tuple[str, ...]]


class Assessor:
    """Assesses machines against one campaign's rules, catalogue and kernel driver table."""

    def __init__(self, config: CampaignConfig, catalogue: Catalogue, pci: PciTable) -> None:
        self.config = config
        self.rules = config.rules
        self.catalogue = catalogue
        self.pci = pci
        drivers = self.rules.get("drivers", {})
        self.driver_classes: dict[str, str] = {str(k): v for k, v in drivers["classes"].items()}
        self.bus_only = frozenset(drivers.get("bus_only_modules", ()))
        self.image_firmware = frozenset(drivers.get("image_firmware") or ())
        self._driver_cache: dict[tuple[str, ...], tuple[str | None, str]] = {}
        # Verdict parts by what they depend on alone, remembered (bounded: ``remember``): a
        # fleet's machines come from a few models and images. The generated fleet of
        # benchmarks/fleet.py has 10 device sets, and 10,600 software lists per 20,000
        # machines: half the machines' software is then assessed once for several.
        self._drivers_seen: dict[tuple[Controller, ...], tuple[Reason, ...]] = {}
        self._software_seen: dict[tuple[Any, ...], _SoftwarePart] = {}
        self.fingerprint = self._fingerprint()

    def _fingerprint(self) -> str:
        """Digest of everything a verdict depends on: a stored verdict with the same one is
        what ``assess`` would say today, so the planner can use it without re-assessing."""
        settings = {
            "version": __version__,
            "rules": self.rules,
            "sites": {k: dataclasses.asdict(v) for k, v in self.config.sites.items()},
            "site_defaults": dataclasses.asdict(self.config.site_defaults),
            "kernel": self.pci.kernel,
            "pci": self.pci.digest,
        }
        digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
        # Entries are built in file order: their repr is stable.
        digest.update(repr(self.catalogue.entries).encode())
        return digest.hexdigest()[:16]

    def _reason(self, found: list[Reason], code: str, **params: Any) -> None:
        rule = self.rules["rules"].get(code)
        if rule is None or rule.get("enabled", True) is False:
            return
        found.append(Reason(code, rule["level"], tuple(params.items())))

    def _hardware(self, m: Machine, found: list[Reason]) -> None:
        target = self.rules["target"]
        if m.arch_bits == 32:
            self._reason(found, "arch-32bit")
        elif m.arch_bits is None:
            self._reason(found, "arch-unknown")
        if not m.ram_mb:
            self._reason(found, "ram-unknown")
        elif m.ram_mb < target["hard_min_ram_mb"]:
            self._reason(found, "ram-too-low", ram_mb=m.ram_mb, min_mb=target["hard_min_ram_mb"])
        elif m.ram_mb < target["min_ram_mb"]:
            self._reason(found, "ram-low", ram_mb=m.ram_mb, min_mb=target["min_ram_mb"])
        if not m.disk_gb:
            self._reason(found, "disk-unknown")
        elif m.disk_gb < target["hard_min_disk_gb"]:
            self._reason(
                found, "disk-too-small", disk_gb=m.disk_gb, min_gb=target["hard_min_disk_gb"]
            )
        elif m.disk_gb < target["min_disk_gb"]:
            self._reason(found, "disk-small", disk_gb=m.disk_gb, min_gb=target["min_disk_gb"])
        if m.encrypted_volumes:
            self._reason(found, "bitlocker", volumes=", ".join(m.encrypted_volumes))
        if m.firmware == UNKNOWN:
            self._reason(found, "firmware-unknown")

    def _driver(self, c: Controller) -> tuple[str | None, str]:
        """The reason code for a controller (None when fine) and, for the firmware codes,
        the packages (cached per device identity)."""
        key = (c.vendor, c.device, c.pciclass, c.subvendor, c.subdevice)
        found = self._driver_cache.get(key)
        if found is None:
            found = self._driver_cache[key] = self._check_driver(c)
        return found

    def _check_driver(self, c: Controller) -> tuple[str | None, str]:
        kind = next((v for k, v in self.driver_classes.items() if c.pciclass.startswith(k)), None)
        if kind is None and c.pciclass:
            return None, ""  # a class not checked (bridges, USB, SMBus...)
        binding = self.pci.bind(c.vendor, c.device, c.pciclass, c.subvendor, c.subdevice)
        sure = tuple(m for m in binding.sure if m not in self.bus_only)
        uncertain = tuple(m for m in binding.uncertain if m not in self.bus_only)
        network = kind in ("wifi", "network")
        if kind is None:  # the agent gave no class: report only a device nothing can drive
            if sure or uncertain or binding.by_class:
                return None, ""
            return "driver-missing-other", ""
        if not sure:
            if uncertain:
                return "driver-uncertain", ""
            return _MISSING.get(kind, "driver-missing-other"), ""
        packages = [p for p in self.pci.firmware_packages(sure) if p not in self.image_firmware]
        if not packages:
            return None, ""
        return ("firmware-nonfree" if network else "firmware-nonfree-other"), ", ".join(packages)

    def _drivers(self, m: Machine, found: list[Reason]) -> None:
        try:
            found.extend(self._drivers_seen[m.controllers])
            return
        except KeyError:
            pass
        except TypeError:  # a controller read from stored facts with a list in a field
            self._check_drivers(m.controllers, found)
            return
        start = len(found)
        self._check_drivers(m.controllers, found)
        remember(self._drivers_seen, m.controllers, tuple(found[start:]))

    def _check_drivers(self, controllers: tuple[Controller, ...], found: list[Reason]) -> None:
        devices: dict[str, list[str]] = {}
        packages: dict[str, set[str]] = {}
        for c in controllers:
            code, needed = self._driver(c)
            if code is None:
                continue
            device = f"{c.vendor}:{c.device}" + (f" {c.name}" if c.name else "")
            if device not in devices.setdefault(code, []):
                devices[code].append(device)
            if needed:
                packages.setdefault(code, set()).update(needed.split(", "))
        for code, names in devices.items():
            if code in packages:
                self._reason(
                    found, code, device="; ".join(names), packages=", ".join(sorted(packages[code]))
                )
            else:
                self._reason(found, code, device="; ".join(names))

    def _software(
        self, m: Machine, found: list[Reason]
    ) -> tuple[tuple[Entry, ...], tuple[str, ...]]:
        key = (m.softwares, m.antivirus, m.remote_mgmt)
        try:
            part = self._software_seen[key]
        except KeyError:
            part = remember(self._software_seen, key, self._check_software(m))
        except TypeError:  # a title read from stored facts with a list in a field
            part = self._check_software(m)
        found.extend(part[0])
        return part[1], part[2]

    def _check_software(self, m: Machine) -> _SoftwarePart:
        """Catalogue entries of the installations (and of the antivirus products and remote
        tools the inventory lists apart, each entry once), and the user's titles it does not
        know: system components, updates and Store packages are not the user's software."""
        found: list[Reason] = []
        matched: list[Entry] = []
        unmatched: list[str] = []
        blocking: list[str] = []
        match = self.catalogue.match
        for s in m.softwares:
            entry = match(s.name, s.publisher)
            if entry is None:
                if s.kind == APPLICATION:
                    unmatched.append(s.name)
                continue
            matched.append(entry)
            if entry.blocks and entry.name not in blocking:
                blocking.append(entry.name)
        for s in (*m.antivirus, *m.remote_mgmt):
            entry = match(s.name, s.publisher)
            if entry is None:
                unmatched.append(s.name)
            elif entry not in matched:
                matched.append(entry)
        if blocking:
            self._reason(found, "software-windows-only", titles=", ".join(blocking))
        if unmatched:
            # Unknown to the catalogue and not a driver, runtime, update or utility (those
            # match its generic-components entry): a business tool until someone reviews it.
            shown = ", ".join(sorted(set(unmatched))[:_TITLES_SHOWN])
            more = len(set(unmatched)) - _TITLES_SHOWN
            titles = f"{shown} (+{more})" if more > 0 else shown
            self._reason(found, "software-not-reviewed", titles=titles)
        return tuple(found), tuple(matched), tuple(unmatched)

    def transfer_hours(self, m: Machine) -> float:
        site = self.config.site(m.site)
        efficiency = float(self.rules["transfer"]["efficiency"])
        seconds = m.user_data_gb * 8 * 1024 / (site.bandwidth_mbps * efficiency)
        return round(seconds / 3600, 2)

    def assess(self, m: Machine) -> Assessment:
        found: list[Reason] = []
        self._hardware(m, found)
        self._drivers(m, found)
        matched, unmatched = self._software(m, found)
        hours = self.transfer_hours(m)
        window = self.config.site(m.site).window_hours
        if hours > window:
            self._reason(
                found,
                "data-transfer-slow",
                data_gb=m.user_data_gb,
                hours=round(hours, 1),
                window=window,
            )
        worst = max((_RANK[r.level] for r in found), default=0)
        status = (READY, NEEDS_ACTION, BLOCKED)[worst]
        return Assessment(status, tuple(found), matched, unmatched, hours, rules=self.fingerprint)
