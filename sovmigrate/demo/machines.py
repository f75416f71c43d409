"""What the demo's workstations are: each its own Windows disk, one of them with a blocker."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# Small disks keep the demo to minutes; the capture benchmark uses the size knob for volume.
BULK_BYTES = (2_000_000, 3_000_000, 1_500_000, 2_500_000)
# The directory agents whose profiles are on each PC (a number is added past the fourth PC).
AGENTS = (
    ("alice.martin", "bruno.petit"),
    ("chloe.durand", "david.moreau"),
    ("emma.bernard", "farid.haddad"),
    ("gaelle.roux", "hugo.lambert"),
)


@dataclass(frozen=True)
class DemoMachine:
    name: str
    seed: int
    variant: str  # "clean" or a blocker the precheck must stop ("hibernated": Fast Startup)
    bulk_bytes: int
    huge_file: bool  # a sparse file over 4 GiB: the NTFS edge case, on one machine only

    def image(self, disks: Path) -> Path:
        return disks / f"{self.name}.img"

    @property
    def agents(self) -> tuple[str, ...]:
        """Logon names of the directory agents with a profile on this PC (two per PC)."""
        index = int(self.name.rsplit("-", 1)[-1]) - 1
        suffix = "" if index < len(AGENTS) else str(index + 1)
        return tuple(login + suffix for login in AGENTS[index % len(AGENTS)])


def plan_machines(count: int) -> list[DemoMachine]:
    """``count`` machines named demo-1..N; the second one was left hibernated by Fast Startup.

    With a single machine there is no blocked one: a demo of one must still migrate something.
    """
    machines = []
    for i in range(1, count + 1):
        variant = "hibernated" if i == 2 else "clean"
        machines.append(
            DemoMachine(
                name=f"demo-{i}",
                seed=1000 + i,
                variant=variant,
                bulk_bytes=BULK_BYTES[(i - 1) % len(BULK_BYTES)],
                huge_file=(i == 1),
            )
        )
    return machines
