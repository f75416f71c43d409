"""Host side of a machine's network: its veth link, its subnet and its NAT rule.

Each machine N gets 10.231.N.0/24: the host is .1 on ``ve-<name>``, the machine .2 on
``host0``. One nft table (``ip sovmigrate_lab``) holds one masquerade rule per running machine,
tagged with the machine's name, so ``lab down`` removes exactly what ``lab up`` added and the
table disappears with the last rule.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from sovmigrate.errors import OperationFailed, StateConflict
from sovmigrate.lab import host
from sovmigrate.lab.state import MachineRecord

TABLE = "sovmigrate_lab"
CHAIN = "postrouting"
SUBNET_PREFIX = "10.231."


def rule_tag(name: str, lab_root: Path) -> str:
    # The lab directory is part of the tag: two labs may both have a machine called "ws1".
    digest = hashlib.sha256(str(lab_root).encode()).hexdigest()[:8]
    return f"sovmigrate-lab {name} {digest}"


def host_gateways() -> dict[int, str]:
    """Subnet index -> host interface, for every 10.231.N.1 address on the host."""
    found: dict[int, str] = {}
    for link in json.loads(host.run(["ip", "-j", "-4", "addr", "show"]) or "[]"):
        for addr in link.get("addr_info", []):
            local = addr.get("local", "")
            parts = local.split(".")
            if local.startswith(SUBNET_PREFIX) and len(parts) == 4 and parts[3] == "1":
                found[int(parts[2])] = link["ifname"]
    return found


def free_index(taken: set[int]) -> int:
    """Lowest subnet index not taken by this lab nor configured on the host by another one."""
    busy = taken | set(host_gateways())
    for index in range(1, 255):
        if index not in busy:
            return index
    raise StateConflict("no free lab subnet left in 10.231.0.0/16 (254 machines at most)")


def index_clash(rec: MachineRecord) -> bool:
    """True when another interface (another lab's machine) already holds this subnet."""
    owner = host_gateways().get(rec.index)
    return owner is not None and owner != rec.link


def link_exists(link: str) -> bool:
    return Path("/sys/class/net", link).exists()


def wait_link_gone(link: str, timeout: float = 5) -> None:
    """The kernel drops a veth pair when its container's namespace goes; give it a moment,
    then delete what is left (only called for a link whose machine this lab just stopped)."""
    deadline = time.monotonic() + timeout
    while link_exists(link) and time.monotonic() < deadline:
        time.sleep(0.05)
    if link_exists(link):
        host.run(["ip", "link", "delete", link], check=False)


def wait_link(link: str, alive: object, timeout: float = 30) -> None:
    """Wait until nspawn has created the host end of the veth pair."""
    deadline = time.monotonic() + timeout
    while not link_exists(link):
        if time.monotonic() > deadline or not callable(alive) or not alive():
            raise OperationFailed(f"systemd-nspawn did not create the link {link}")
        time.sleep(0.05)


def setup_host_side(rec: MachineRecord, tag: str) -> None:
    host.run(["ip", "addr", "replace", f"{rec.gateway}/24", "dev", rec.link])
    host.run(["ip", "link", "set", rec.link, "up"])
    # Forwarding stays on after the lab stops: other software on the host may rely on it too.
    Path("/proc/sys/net/ipv4/ip_forward").write_text("1\n")
    nat_add(rec, tag)


def nat_add(rec: MachineRecord, tag: str) -> None:
    nat_remove(tag)
    host.run(["nft", "add", "table", "ip", TABLE])
    host.run(
        [
            "nft",
            "add chain ip",
            TABLE,
            CHAIN,
            "{ type nat hook postrouting priority srcnat; policy accept; }",
        ]
    )
    host.run(
        [
            "nft",
            "add rule ip",
            TABLE,
            CHAIN,
            f'ip saddr 10.231.{rec.index}.0/24 oifname != "ve-*" masquerade comment "{tag}"',
        ]
    )


def nat_rules() -> dict[str, int]:
    """Tag -> rule handle of every rule in the lab's NAT chain (empty if there is no table)."""
    out = host.run(["nft", "-j", "list", "chain", "ip", TABLE, CHAIN], check=False)
    if not out.strip():
        return {}
    rules: dict[str, int] = {}
    for item in json.loads(out).get("nftables", []):
        rule = item.get("rule")
        if rule and "comment" in rule:
            rules[rule["comment"]] = rule["handle"]
    return rules


def nat_remove(tag: str) -> None:
    rules = nat_rules()
    handle = rules.pop(tag, None)
    if handle is not None:
        host.run(["nft", "delete rule ip", TABLE, CHAIN, "handle", str(handle)])
    if not rules and _table_exists():
        host.run(["nft", "delete table ip", TABLE])


def _table_exists() -> bool:
    return TABLE in host.run(["nft", "list", "tables", "ip"], check=False)
