"""Synthetic GLPI inventories for tests and benchmarks (``python -m sovmigrate.lab.fleetgen``).

Writes what a Windows glpi-agent sends (including its quirks: ``cpus[].arch`` ``i386`` on
64-bit CPUs, ``operatingsystem.arch`` ``64 bits`` in French, no UEFI information), for a fleet
spread over sites with realistic hardware models and software mixes. Deterministic for a seed.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import uuid as _uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# (manufacturer, model, chassis, ram MB choices, disk GB choices, CPU, arch bits)
MODELS = (
    (
        "Dell Inc.",
        "Latitude 5420",
        "Laptop",
        (8192, 16384),
        (256, 512),
        "Intel(R) Core(TM) i5-1145G7",
        64,
    ),
    (
        "Dell Inc.",
        "OptiPlex 7070",
        "Desktop",
        (8192, 16384),
        (256, 512),
        "Intel(R) Core(TM) i5-9500",
        64,
    ),
    (
        "HP",
        "HP EliteBook 840 G5",
        "Notebook",
        (8192, 16384),
        (256,),
        "Intel(R) Core(TM) i5-8350U",
        64,
    ),
    (
        "HP",
        "HP ProDesk 600 G4 SFF",
        "Desktop",
        (4096, 8192),
        (500,),
        "Intel(R) Core(TM) i3-8100",
        64,
    ),
    ("LENOVO", "ThinkPad T480", "Notebook", (8192,), (256,), "Intel(R) Core(TM) i5-8250U", 64),
    ("LENOVO", "ThinkCentre M720q", "Desktop", (8192,), (256,), "Intel(R) Core(TM) i5-8400T", 64),
    (
        "Dell Inc.",
        "OptiPlex 780",
        "Desktop",
        (2048, 4096),
        (160, 250),
        "Intel(R) Core(TM)2 Duo E8400",
        64,
    ),
    ("HP", "HP Compaq dc7800", "Desktop", (1024, 2048), (80,), "Intel(R) Pentium(R) 4 CPU", 32),
    (
        "Dell Inc.",
        "Latitude E7450",
        "Laptop",
        (4096, 8192),
        (128, 256),
        "Intel(R) Core(TM) i5-5300U",
        64,
    ),
)
_MODEL_WEIGHTS = (22, 18, 16, 12, 12, 10, 5, 1, 4)
# PCI devices: (vendor, device, class, type, name)
ETHERNET = (
    ("8086", "15bb", "0200", "Ethernet controller", "Ethernet Connection I219-LM"),
    ("10ec", "8168", "0200", "Ethernet controller", "RTL8111/8168 Gigabit Ethernet"),
)
WIFI = (
    ("8086", "24fd", "0280", "Network controller", "Wireless 8265 / 8275"),
    ("8086", "a0f0", "0280", "Network controller", "Wi-Fi 6 AX201"),
    ("10ec", "c821", "0280", "Network controller", "RTL8821CE 802.11ac"),
    ("14e4", "43b1", "0280", "Network controller", "BCM4352 802.11ac"),
)
_WIFI_WEIGHTS = (40, 40, 15, 5)
BASE_SOFTWARE = (
    ("Microsoft Office Professionnel Plus 2016", "Microsoft Corporation", "16.0.4266.1001"),
    ("Google Chrome", "Google LLC", "119.0.6045.160"),
    ("Adobe Acrobat Reader DC - Français", "Adobe Systems Incorporated", "23.006.20360"),
    ("7-Zip 19.00 (x64)", "Igor Pavlov", "19.00"),
    ("Microsoft Edge", "Microsoft Corporation", "119.0.2151.72"),
    (
        "Microsoft Visual C++ 2015-2022 Redistributable (x64) - 14.36.32532",
        "Microsoft Corporation",
        "14.36.32532.0",
    ),
    ("Microsoft .NET Framework 4.8", "Microsoft Corporation", "4.8.03761"),
    ("Intel(R) Graphics Driver", "Intel Corporation", "27.20.100.9466"),
    ("Realtek High Definition Audio Driver", "Realtek Semiconductor Corp.", "6.0.9235.1"),
    ("Microsoft Update Health Tools", "Microsoft Corporation", "5.72.0.0"),
)
OPTIONAL_SOFTWARE = (
    (0.6, "Microsoft Teams", "Microsoft Corporation", "1.6.00.27573"),
    (0.5, "Mozilla Firefox (x64 fr)", "Mozilla", "115.5.0"),
    (0.4, "VLC media player", "VideoLAN", "3.0.18"),
    (0.3, "Zoom", "Zoom Video Communications, Inc.", "5.16.10"),
    (0.25, "Cisco Webex Meetings", "Cisco Webex LLC", "43.2.0"),
    (0.3, "FortiClient VPN", "Fortinet Technologies Inc", "7.0.7.0345"),
    (0.2, "Citrix Workspace 2309", "Citrix Systems, Inc.", "23.9.0.24"),
    (0.3, "Notepad++ (64-bit x64)", "Notepad++ Team", "8.5.8"),
    (0.2, "KeePass Password Safe 2.55", "Dominik Reichl", "2.55"),
    (0.15, "Microsoft Visio Professional 2016", "Microsoft Corporation", "16.0.4266.1001"),
    (0.1, "Microsoft Project Professionnel 2016", "Microsoft Corporation", "16.0.4266.1001"),
    (0.2, "Java 8 Update 381", "Oracle Corporation", "8.0.3810.9"),
    (0.15, "TeamViewer", "TeamViewer", "15.47.3"),
    (0.1, "GIMP 2.10.34", "The GIMP Team", "2.10.34"),
    (0.1, "PDF24 Creator", "Geek Software GmbH", "11.14.0"),
    (0.1, "WinRAR 6.24 (64 bits)", "win.rar GmbH", "6.24.0"),
    (0.08, "Sophos Endpoint Agent", "Sophos Limited", "2023.2"),
    (0.05, "Microsoft SQL Server Management Studio - 19.1", "Microsoft Corporation", "19.1.56.0"),
    (0.04, "QGIS 3.28.12 'Firenze'", "QGIS.org", "3.28.12"),
    (0.03, "ArcGIS Pro", "Environmental Systems Research Institute, Inc.", "3.1.0"),
    (0.02, "AutoCAD LT 2022 - Français", "Autodesk", "R.47.0.0"),
    (0.015, "SAS 9.4 (TS1M7)", "SAS Institute Inc.", "9.4"),
    (0.015, "Sage 100cloud Comptabilité", "Sage", "8.50"),
    (0.2, "Appli métier GESTAC", "Ministère", "4.2"),
    (0.1, "Outil interne RECENS", "", "1.0"),
)
DEFENDER = ("Microsoft Defender for Endpoint", "Microsoft Corporation", "4.18.23100.2009")
DEPARTMENTS = ("RH", "Finances", "Juridique", "Informatique", "Accueil", "Direction", "Métier")


def sites_for(n_machines: int) -> list[tuple[str, str]]:
    """(site, class): about one site per 800 machines, a headquarters and regional offices."""
    count = max(2, min(120, n_machines // 800 + 1))
    sites = [("SIEGE", "headquarters")]
    for i in range(1, count):
        sites.append((f"SITE{i:03d}", "regional" if i % 5 == 0 else "local"))
    return sites


def _software(rng: random.Random) -> list[dict[str, Any]]:
    items = [*BASE_SOFTWARE, DEFENDER]
    items += [(name, pub, ver) for p, name, pub, ver in OPTIONAL_SOFTWARE if rng.random() < p]
    return [
        {"name": n, "publisher": p, "version": v, "arch": "x86_64", "from": "registry"}
        for n, p, v in items
    ]


def make_inventory(index: int, rng: random.Random, sites: list[tuple[str, str]]) -> dict[str, Any]:
    man, model, chassis, rams, disks, cpu, bits = rng.choices(MODELS, _MODEL_WEIGHTS)[0]
    site = sites[0][0] if rng.random() < 0.15 else rng.choice(sites)[0]
    name = f"PC-{site}-{index:06d}"
    ram = rng.choice(rams)
    disk_gb = rng.choice(disks)
    used_gb = rng.uniform(30, min(disk_gb * 0.9, 30 + rng.expovariate(1 / 40)))
    eth = rng.choice(ETHERNET)
    controllers = [
        {"vendorid": v, "productid": d, "pciclass": c, "type": t, "name": n, "caption": n}
        for v, d, c, t, n in (
            eth,
            ("8086", "5917", "0300", "VGA compatible controller", "UHD Graphics 620"),
        )
    ]
    networks = [
        {
            "description": n,
            "type": "ethernet",
            "mac": f"00:1a:2b:{index % 256:02x}:00:01",
            "virtualdev": False,
        }
        for _, _, _, _, n in (eth,)
    ]
    if chassis in ("Laptop", "Notebook"):
        wifi = rng.choices(WIFI, _WIFI_WEIGHTS)[0]
        controllers.append(
            {
                "vendorid": wifi[0],
                "productid": wifi[1],
                "pciclass": wifi[2],
                "type": wifi[3],
                "name": wifi[4],
                "caption": wifi[4],
            }
        )
        networks.append(
            {
                "description": wifi[4],
                "type": "wifi",
                "virtualdev": False,
                "mac": f"00:1a:2b:{index % 256:02x}:00:02",
            }
        )
    drive = {
        "letter": "C:",
        "systemdrive": True,
        "filesystem": "NTFS",
        "type": "Local Disk",
        "total": int(disk_gb * 1024 * 0.93),
        "free": int((disk_gb * 0.93 - used_gb) * 1024),
    }
    if rng.random() < 0.12:
        drive.update(
            {"encrypt_status": "Yes", "encrypt_name": "BitLocker", "encrypt_algo": "XTS-AES 128"}
        )
    uid = _uuid.UUID(int=rng.getrandbits(128), version=4)
    login = f"agent{index:06d}"
    return {
        "deviceid": f"{name}-2026-09-{1 + index % 28:02d}-08-00-00",
        "itemtype": "Computer",
        "tag": f"{site}/{rng.choice(DEPARTMENTS)}",
        "content": {
            "accesslog": {"logdate": f"2026-09-{1 + index % 28:02d} 08:00:00"},
            "bios": {
                "smanufacturer": man,
                "smodel": model,
                "ssn": f"SN{index:08d}",
                "bmanufacturer": man,
                "bversion": "1.2.3",
                "bdate": "2020-01-01",
            },
            "hardware": {
                "name": name,
                "uuid": str(uid),
                "memory": ram,
                "chassis_type": chassis,
                "workgroup": "AGENCE",
                "vmsystem": "Physical",
            },
            "operatingsystem": {
                "name": "Windows",
                "full_name": "Microsoft Windows 10 Professionnel",
                "version": "22H2",
                "arch": "64 bits" if bits == 64 else "32 bits",
                "kernel_name": "MSWin32",
            },
            "cpus": [
                {"name": cpu, "arch": "i386", "core": 4, "thread": 8, "manufacturer": "Intel"}
            ],
            "memories": [{"capacity": ram, "type": "DDR4", "numslots": 1}],
            "storages": [
                {
                    "name": "Disk 0",
                    "disksize": disk_gb * 1024,
                    "interface": "SATA",
                    "model": "SSD",
                    "type": "disk",
                }
            ],
            "drives": [drive],
            "controllers": controllers,
            "networks": networks,
            "softwares": _software(rng),
            "users": [{"login": login, "domain": "AGENCE"}],
        },
    }


def generate(n: int, seed: int = 0) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    sites = sites_for(n)
    for index in range(n):
        yield make_inventory(index, rng, sites)


def write_fleet(directory: Path, n: int, seed: int = 0) -> list[Path]:
    """Write ``n`` inventory files (one per machine) into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, doc in enumerate(generate(n, seed)):
        path = directory / f"{index:06d}.json"
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        paths.append(path)
    return paths


def campaign_settings(n: int) -> str:
    """A campaign.yml with the generated sites' capacities and links (YAML text)."""
    lines = ["---", "sites:"]
    for i, (site, klass) in enumerate(sites_for(n)):
        techs = 6 if klass == "headquarters" else 3 if klass == "regional" else 2
        mbps = (
            1000
            if klass == "headquarters"
            else 200
            if klass == "regional"
            else (20, 50, 100)[i % 3]
        )
        lines.append(
            f"  {site}: {{technicians: {techs}, machines_per_technician_per_day: 8, "
            f"bandwidth_mbps: {mbps}, window_hours: 10, class: {klass}}}"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="write synthetic GLPI inventories")
    parser.add_argument("count", type=int)
    parser.add_argument("directory", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    write_fleet(args.directory, args.count, args.seed)
    (args.directory / "campaign.yml").write_text(campaign_settings(args.count), encoding="utf-8")
    print(f"{args.count} inventories written to {args.directory}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
