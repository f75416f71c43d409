"""Run the demo: disks built, machines booted, one wave through every stage, a report.

Everything lives under ``<lab dir>/demo``: the state store, the Windows disks, the restic store,
the store password (0600, never logged), the artifacts and the reports. Running it again resumes
where it stopped (each machine at its own stage); ``fresh=True`` throws all of that away first.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sovmigrate.demo.machines import DemoMachine, plan_machines
from sovmigrate.errors import UsageError
from sovmigrate.lab import Lab
from sovmigrate.lab.directory import JOIN_ACCOUNT, LAB_DEFAULT, DirectoryDescription, DirectoryUser
from sovmigrate.lab.samba_dc import NETBIOS, SambaDC
from sovmigrate.lab.tchap_standin import build_tchap_deb
from sovmigrate.lab.windisk import (
    Domain,
    DomainAccount,
    build_windows_disk,
    description_path,
)
from sovmigrate.report import reasons
from sovmigrate.report.wave import collect, render
from sovmigrate.run import CancelToken, RunOptions, run_wave
from sovmigrate.run.options import NullProgress, Progress
from sovmigrate.run.reinstall import lab_host_vars
from sovmigrate.state import STAGES, Machine, MachineRecord, Store, open_store
from sovmigrate.userstate.restore_main import login_for
from sovmigrate.userstate.store import ResticStore

CAMPAIGN = "demo"
WAVE = "vague-1"
# The lab's domain controller: the demo's PCs were joined to its directory.
DC_NAME = "demo-dc"
SHARE = "partage"
ADMIN_GROUP = "admins-poste"
TCHAP_VERSION = "4.13.0"
# Where the machines see the host's directories (nspawn binds).
STORE_IN_MACHINE = "/srv/store"
PACKAGES_IN_MACHINE = "/srv/packages"
WINDOWS_IN_MACHINE = "/srv/windows.img"
# A machine in one of these states has had its Windows disk wiped: never rebuild or attach it.
WIPED_STATES = ("provisioned", "configured", "restored", "postchecked", "done")

Log = Callable[[str], None]


@dataclass
class DemoPaths:
    root: Path

    @property
    def disks(self) -> Path:
        return self.root / "disks"

    @property
    def store(self) -> Path:
        return self.root / "store"

    @property
    def packages(self) -> Path:
        return self.root / "packages"

    @property
    def database(self) -> Path:
        return self.root / "state.db"

    @property
    def password(self) -> Path:
        return self.root / "store.password"

    @property
    def secrets(self) -> Path:
        return self.root / "secrets.yml"

    @property
    def artifacts(self) -> Path:
        return self.root / "artifacts"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def manifests(self) -> Path:
        return self.root / "manifests"


@dataclass
class DemoResult:
    database: Path
    report: Path
    verdicts: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> state, reason
    canceled: bool = False

    @property
    def ok(self) -> bool:
        """The demo succeeded when every clean machine is done and every blocked one stopped
        at the precheck (which is the point of having it)."""
        return not self.canceled and all(
            v["expected"] == v["state"] for v in self.verdicts.values()
        )


def expected_state(machine: DemoMachine) -> str:
    return "done" if machine.variant == "clean" else "failed"


class DemoReinstaller:
    """The lab's reinstall, plus what a real one implies: the Windows disk is gone for good.

    The runner calls it only after the capture gate passed, so the image is deleted after a
    verified capture and never before.
    """

    def __init__(self, lab: Lab, paths: DemoPaths, log: Log) -> None:
        self.lab, self.paths, self.log = lab, paths, log

    def reinstall(self, machine: Machine) -> dict[str, Any] | None:
        image = self.paths.disks / f"{machine.name}.img"
        if image.exists():
            image.unlink()
            self.log(f"{machine.name}: Windows disk destroyed ({image.name})")
        # Keep the store and packages binds; the machine no longer has a Windows disk to see.
        self.lab.up([machine.name], binds=_binds(self.paths, None))
        self.lab.reinstall(machine.name)
        return lab_host_vars(self.lab, machine.name)


def _binds(paths: DemoPaths, image: Path | None) -> list[str]:
    binds = [
        f"--bind={paths.store}:{STORE_IN_MACHINE}",
        f"--bind-ro={paths.packages}:{PACKAGES_IN_MACHINE}",
    ]
    if image is not None:
        binds += [f"--bind-ro={image}:{WINDOWS_IN_MACHINE}", "--bind=/dev/fuse"]
    return binds


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(text, encoding="utf-8")


def _ensure_secrets(paths: DemoPaths, dc: SambaDC | None) -> None:
    """The store password, made once, and the join account's password (from the lab DC): the
    vars file the playbooks read them from (0600).

    Secrets go to ansible-playbook as ``-e @file``: never in extravars, which ansible-runner
    writes into its artifacts, nor on a command line.
    """
    if not paths.password.exists():
        _write_private(paths.password, secrets.token_urlsafe(32) + "\n")
    password = paths.password.read_text(encoding="utf-8").strip()
    data = {
        "precheck_store_password": password,
        "user_state_capture_store_password": password,
        "user_state_restore_store_password": password,
    }
    if dc is not None:
        data["directory_join_password"] = dc.passwords[JOIN_ACCOUNT]
    _write_private(paths.secrets, yaml.safe_dump(data))


def demo_directory(machines: list[DemoMachine]) -> DirectoryDescription:
    """The lab's default directory plus the agents of the demo's PCs; the first agent of each
    PC is in the site's admin group (sudo on the new workstation)."""
    users = tuple(
        DirectoryUser(login, ("agents", ADMIN_GROUP) if i == 0 else ("agents",))
        for m in machines
        for i, login in enumerate(m.agents)
    )
    return LAB_DEFAULT.merged(DirectoryDescription(users=users, shares=(SHARE,)))


def _domain_of(machine: DemoMachine, dc: SambaDC | None) -> Domain | None:
    if dc is None:
        return None
    return Domain(
        NETBIOS,
        tuple(DomainAccount(login, dc.sids[login]) for login in machine.agents),
        share=f"\\\\{dc.fqdn}\\{SHARE}",
    )


def _ensure_disks(
    paths: DemoPaths,
    machines: list[DemoMachine],
    states: dict[str, str],
    log: Log,
    dc: SambaDC | None,
) -> None:
    paths.disks.mkdir(parents=True, exist_ok=True)
    for m in machines:
        image = m.image(paths.disks)
        if states.get(m.name) in WIPED_STATES or (
            image.exists() and description_path(image).exists()
        ):
            continue
        log(f"{m.name}: building its Windows disk (seed {m.seed}, {m.variant})")
        partial = paths.disks / f".{m.name}.partial.img"
        build_windows_disk(
            partial,
            m.seed,
            m.variant,
            m.bulk_bytes,
            huge_file=m.huge_file,
            directory=_domain_of(m, dc),
        )
        description_path(partial).replace(description_path(image))
        partial.replace(image)


def _ensure_tchap(paths: DemoPaths) -> str:
    """The stand-in Tchap package, built once: a resumed demo must see the same checksum."""
    deb = paths.packages / f"Tchap-prod_{TCHAP_VERSION}_amd64.deb"
    if not deb.exists():
        build_tchap_deb(paths.packages, TCHAP_VERSION)
    return hashlib.sha256(deb.read_bytes()).hexdigest()


def _directory_vars(dc: SambaDC | None) -> dict[str, Any]:
    if dc is None:
        return {}
    return {
        "precheck_directory_realm": dc.realm,
        "precheck_directory_dns_servers": [dc.address],
        "directory_join_realm": dc.realm,
        "directory_join_user": JOIN_ACCOUNT,
        "directory_join_dns_servers": [dc.address],
        "directory_join_sudo_groups": [ADMIN_GROUP],
        "directory_join_login_groups": ["agents", ADMIN_GROUP],
        "user_state_restore_directory_domains": [dc.domain_sid],
    }


def _stage_vars(
    paths: DemoPaths, tchap_sha256: str, desktop_profile: str, dc: SambaDC | None
) -> dict[str, Any]:
    return {
        **_directory_vars(dc),
        "precheck_store": STORE_IN_MACHINE,
        "precheck_windows_source": WINDOWS_IN_MACHINE,
        # Lab machines are small containers with small disk images: the real minimums do not apply.
        "precheck_min_ram_mib": 256,
        "precheck_min_disk_gib": 0,
        "user_state_capture_store": STORE_IN_MACHINE,
        "user_state_capture_source": WINDOWS_IN_MACHINE,
        "user_state_capture_wave": WAVE,
        "user_state_capture_manifest_dir": str(paths.manifests),
        "user_state_restore_store": STORE_IN_MACHINE,
        "user_state_restore_report_dir": str(paths.reports),
        "workstation_desktop_profile": desktop_profile,
        "interministerial_suite_tchap_version": TCHAP_VERSION,
        "interministerial_suite_tchap_sha256": tchap_sha256,
        "interministerial_suite_tchap_base_url": f"file://{PACKAGES_IN_MACHINE}",
        # The lab has no route to the Internet: the suite's endpoints cannot answer from here.
        "interministerial_suite_reachability_check": False,
        "postcheck_report_dir": str(paths.reports / "postcheck"),
    }


def _states(store: Store) -> dict[str, str]:
    campaign = store.campaign(CAMPAIGN, create=True)
    return {m.name: m.state for m in store.machines(campaign)}


def _drive_data_owner(paths: DemoPaths, machine: DemoMachine) -> dict[str, str]:
    """The data folders of the drive root (C:\\Donnees, Users\\Public) go to the machine's
    first local user (its first user on a PC without one): without an owner the restore could
    not take them, and the gate would rightly refuse ``done`` for a capture that was not
    restored."""
    description = description_path(machine.image(paths.disks))
    users = json.loads(description.read_text(encoding="utf-8")).get("users", [])
    if not users:
        return {}
    owner = next((u for u in users if not u.get("domain")), users[0])
    return {"user_state_restore_drive_data_user": login_for(owner["name"])}


def _register(
    store: Store, lab: Lab, paths: DemoPaths, machines: list[DemoMachine], directory: bool
) -> None:
    campaign = store.campaign(CAMPAIGN, create=True)
    records = [
        MachineRecord(
            name=m.name,
            site="Laboratoire",
            facts={"demo_seed": m.seed, "demo_variant": m.variant},
            vars={
                **(lab_host_vars(lab, m.name) or {}),
                **_drive_data_owner(paths, m),
                # The join and the postcheck check that this PC's first agent resolves.
                **({"directory_join_check_user": m.agents[0]} if directory else {}),
            },
        )
        for m in machines
    ]
    store.upsert_machines(campaign, records)
    if WAVE not in {w.name for w in store.waves(campaign)}:
        store.create_wave(
            campaign, WAVE, [m.name for m in machines], description="sovmigrate lab demo"
        )


def fresh_start(lab: Lab, paths: DemoPaths, log: Log) -> None:
    names = [m.name for m in lab.status() if m.name.startswith("demo-")]
    if names:
        log(f"--fresh: destroying {', '.join(names)}")
        lab.destroy(names)
    shutil.rmtree(paths.root, ignore_errors=True)
    SambaDC(lab, DC_NAME).secrets_file.unlink(missing_ok=True)


def run_demo(
    lab: Lab,
    count: int,
    *,
    fresh: bool = False,
    desktop_profile: str = "full",
    directory: bool = True,
    forks: int = 5,
    log: Log = print,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> DemoResult:
    if count < 1 or count > 20:
        raise UsageError(f"--machines {count}: choose between 1 and 20")
    paths = DemoPaths(lab.paths.root / "demo")
    if fresh:
        fresh_start(lab, paths, log)
    machines = plan_machines(count)
    for d in (paths.store, paths.packages, paths.artifacts, paths.reports, paths.manifests):
        d.mkdir(parents=True, exist_ok=True)
    dc = None
    if directory:
        log(f"{DC_NAME}: the lab's Samba AD domain controller (the PCs' directory)")
        dc = SambaDC(lab, DC_NAME).up(demo_directory(machines))
    _ensure_secrets(paths, dc)
    # Created here, once, as a team creates its store before a wave: the machines capture
    # into it at the same time (their own creation of a local store is serialised anyway).
    if ResticStore(str(paths.store), paths.password).init_if_absent():
        log(f"created the restic store {paths.store}")
    tchap_sha256 = _ensure_tchap(paths)
    with open_store(str(paths.database)) as store:
        states = _states(store)
        _ensure_disks(paths, machines, states, log, dc)
        for m in machines:
            wiped = states.get(m.name) in WIPED_STATES
            image = None if wiped else m.image(paths.disks)
            lab.up([m.name], binds=_binds(paths, image))
        _register(store, lab, paths, machines, dc is not None)
        options = RunOptions(
            forks=forks,
            artifacts_root=paths.artifacts,
            extravars=_stage_vars(paths, tchap_sha256, desktop_profile, dc),
            secret_vars_files=[paths.secrets],
        )
        campaign = store.campaign(CAMPAIGN)
        wave = store.wave(campaign, WAVE)
        summary = run_wave(
            store,
            wave,
            list(STAGES),
            reinstaller=DemoReinstaller(lab, paths, log),
            options=options,
            progress=progress or NullProgress(),
            cancel=cancel or CancelToken(),
        )
        data = collect(store, campaign, wave)
        report = paths.reports / f"rapport-{WAVE}.html"
        report.write_text(render(data, "html", "fr"), encoding="utf-8")
        (paths.reports / f"rapport-{WAVE}.json").write_text(render(data, "json"), encoding="utf-8")
        result = DemoResult(paths.database, report, canceled=summary.canceled)
        by_name = {m.name: m for m in machines}
        for machine in store.machines(campaign, wave=wave):
            planned = by_name.get(machine.name)
            result.verdicts[machine.name] = {
                "state": machine.state,
                "failed_stage": machine.failed_stage,
                "reason": _reason(store, machine),
                "variant": planned.variant if planned else "",
                "expected": expected_state(planned) if planned else machine.state,
            }
    return result


def _reason(store: Store, machine: Machine) -> str:
    """The machine's last reason as a technician reads it on the console: its coded reasons
    said in words (the raw message, with the codes the role carried, stays in the store)."""
    transitions = store.transitions(machine.id)
    raw = transitions[-1].reason if transitions else ""
    return reasons.render(reasons.of_machine(store, machine, raw), raw, "en")
