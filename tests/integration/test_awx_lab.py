"""The AWX path on booted lab machines with a PostgreSQL store: each stage as two
``ansible-playbook`` runs at once on disjoint halves of the wave (what AWX job slices do), the
state_store callback recording, the real reinstall play re-creating the machines from the
clean base image. The store ends as one ``sovmigrate wave run`` of the same wave leaves it.

Then one of those machines becomes a laptop converging with ansible-pull (roles/ansible_pull):
the site's git mirror is a bare clone of this repository served by ``git daemon`` on the host's
lab address (10.231.N.1, the machine's gateway), the campaign's store a PostgreSQL cluster
listening on the same address. The machine's timer runs ansible-pull, the state_store callback
from the checkout records the configure stage and each run's recap; with the store stopped the
run's results wait in the machine's spool and the next run that reaches the store sends them.
(The machines are shared: booting and tearing down lab machines is a good part of the time.)
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from awx_support import campaign_state, run_sliced, write_inventory_config
from labtools import REPO, run_playbook
from test_wave_support import PLAYBOOKS

from sovmigrate.run import LabReinstaller, RunOptions, default_playbooks, run_wave
from sovmigrate.state import HostReport, MachineRecord, UserResult, open_store
from sovmigrate.state.pgtest import PgCluster, shared_database, start_cluster
from sovmigrate.state.pipeline import StageOutcome, begin_stage, finish_stage

pytestmark = pytest.mark.integration
# Names of this process's own (two runs of this module at once, e.g. a CI run beside a
# developer's, must not destroy each other's machines): at most 11 characters.
PREFIX = f"awx{os.getpid() % 10000:04d}"
N1, N2, S1, S2 = (f"{PREFIX}-{n}" for n in ("n1", "n2", "s1", "s2"))
NORTH, SOUTH = [N1, N2], [S1, S2]
NAMES = NORTH + SOUTH
REMOTE_ROOT = "/var/lib/sovmigrate-test"
FAILURES = {
    "test_fail_hosts_capture": [N2],
    "test_unverified_capture": [f"{S2}:bob"],
    "test_fail_hosts_configure": [S1],
}
# The site's reinstall command, for lab machines: a fresh root file system, same address.
LAB_REINSTALL = [
    sys.executable,
    "-c",
    "import sys; from sovmigrate.lab import Lab; Lab().reinstall(sys.argv[1])",
    "{{ inventory_hostname }}",
]


@pytest.fixture(scope="module")
def lab() -> Iterator[object]:
    if os.geteuid() != 0:
        pytest.skip("lab machines need root (systemd-nspawn)")
    from sovmigrate.lab import Lab

    lab = Lab()
    try:
        lab.up(NAMES)
        yield lab
    finally:
        lab.destroy(NAMES)


def _lab_hosts(lab: object) -> dict[str, dict[str, object]]:
    data = yaml.safe_load(Path(lab.paths.inventory).read_text())  # type: ignore[attr-defined]
    return data["all"]["children"]["lab"]["hosts"]


def _seed(lab: object) -> str:
    hosts = _lab_hosts(lab)
    url = shared_database()
    with open_store(url) as store:
        camp = store.campaign("lab-awx", create=True)
        records = [
            MachineRecord(n, site="north" if n in NORTH else "south", vars=hosts[n]) for n in NAMES
        ]
        store.upsert_machines(camp, records)
        store.create_wave(camp, "pilot", NAMES)
    return url


def _remote_stages(lab: object, name: str) -> list[str]:
    argv = lab.ssh_argv(name, ("cat", f"{REMOTE_ROOT}/{name}/stages.log"))  # type: ignore[attr-defined]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    return [line.split()[0] for line in done.stdout.splitlines()]


def test_two_slices_on_lab_machines_leave_the_state_of_one_wave_run(
    lab: object, tmp_path: Path
) -> None:
    sliced = _seed(lab)
    inventory = write_inventory_config(tmp_path, sliced)
    extravars = {
        "test_root": REMOTE_ROOT,
        "sovmigrate_reinstall_command": LAB_REINSTALL,
        "sovmigrate_reinstall_delay": 1,
        "sovmigrate_reinstall_timeout": 120,
        **FAILURES,
    }
    run_sliced(sliced, inventory, {"site_north": NORTH, "site_south": SOUTH}, extravars)
    after_slices = {n: _remote_stages(lab, n) for n in NAMES}

    waved = _seed(lab)  # the same machines, a new store: one wave run
    for name in NAMES:
        # The stand-in stages only append to this log: a clean log is a clean start for them
        # (the wave run's own reinstaller re-creates the machines it wipes).
        _ssh(lab, "rm", "-rf", f"{REMOTE_ROOT}/{name}", host=name)
    with open_store(waved) as store:
        wave = store.wave(store.campaign("lab-awx"), "pilot")
        opts = RunOptions(
            playbooks=default_playbooks(PLAYBOOKS),
            artifacts_root=tmp_path / "artifacts",
            extravars={"test_root": REMOTE_ROOT, **FAILURES},
        )
        run_wave(store, wave, reinstaller=LabReinstaller(lab), options=opts)
    after_wave = {n: _remote_stages(lab, n) for n in NAMES}

    state = campaign_state(sliced)
    assert state == campaign_state(waved)
    assert {n: s["state"][:2] for n, s in state.items()} == {
        N1: ("done", None),
        N2: ("failed", "capture"),
        S1: ("failed", "configure"),
        S2: ("failed", "capture"),
    }
    # The disks really were replaced where the capture was verified, and only there.
    assert after_slices == after_wave
    assert after_slices[N1] == ["configure", "restore", "postcheck"]
    assert after_slices[S1] == ["configure"]
    assert after_slices[S2] == ["precheck", "capture"]


NAME = N1  # a machine of the wave above, now a laptop
SECRET = "pull-store-s3cret"  # the store password: in pull.env (0600), nowhere else
SPOOL = "/var/lib/sovmigrate/pull/spool"


@pytest.fixture(scope="module")
def site(lab: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, PgCluster]]:
    """The site network's services on the host's lab address: git mirror and state store."""
    gateway = str(_lab_hosts(lab)[NAME]["ansible_host"]).rsplit(".", 1)[0] + ".1"
    served = tmp_path_factory.mktemp("git")
    subprocess.run(
        ["git", "clone", "--quiet", "--bare", str(REPO), str(served / "sovmigrate.git")], check=True
    )
    daemon = subprocess.Popen(
        [shutil.which("git") or "git", "daemon", "--reuseaddr", "--export-all",
         f"--base-path={served}", f"--listen={gateway}", "--port=9418", str(served)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    cluster = start_cluster(listen=gateway)
    try:
        yield gateway, cluster
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)
        cluster.stop()


def _ssh(
    lab: object, *command: str, check: bool = True, host: str = ""
) -> subprocess.CompletedProcess[str]:
    # ssh joins the words into one remote shell command line (globs expand there).
    argv = lab.ssh_argv(host or NAME, command)  # type: ignore[attr-defined]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False)
    assert not check or done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    return done


def _journal(lab: object) -> str:
    return _ssh(lab, "journalctl", "-t", "sovmigrate-pull", "--no-pager", "-o", "cat").stdout


def _reports(url: str) -> list[HostReport]:
    with open_store(url) as store:
        return store.host_reports(store.machine(store.campaign("lab-pull"), NAME).id)


def test_a_laptop_converges_from_the_mirror_and_reports(
    lab: object, site: tuple[str, PgCluster], tmp_path: Path
) -> None:
    gateway, cluster = site
    url = cluster.new_database("pull")
    with open_store(url) as store:
        camp = store.campaign("lab-pull", create=True)
        store.upsert_machines(camp, [MachineRecord(NAME, site="nomad", vars=_lab_hosts(lab)[NAME])])
        store.create_wave(camp, "laptops", [NAME])
        machine = store.machine(camp, NAME)
        for stage in ("precheck", "capture", "reinstall"):  # reinstalled at the site: provisioned
            run = begin_stage(store, machine, stage, wave_id=None)
            users = (UserResult("alice", True, 3, 120),) if stage == "capture" else None
            finish_stage(store, machine.id, stage, run, StageOutcome(ok=True, users=users), "t")

    playbook = tmp_path / "pull.yml"
    role_vars = {
        "ansible_pull_repo_url": f"git://{gateway}/sovmigrate.git",
        "ansible_pull_branch": "main",
        "ansible_pull_playbook": "tests/integration/pull/configure.yml",
        "ansible_pull_store": f"postgresql://{cluster.user}@{gateway}:5433/pull",
        "ansible_pull_store_password": SECRET,
        "ansible_pull_campaign": "lab-pull",
        "ansible_pull_on_boot": "1h",  # the test starts the first run itself
        "ansible_pull_interval": "5s",
        "ansible_pull_randomized_delay": "0",
    }
    play = [
        {
            "name": "Install the pull timer",
            "hosts": NAME,
            "roles": [{"role": "ansible_pull", "vars": role_vars}],
        }
    ]
    playbook.write_text(yaml.safe_dump(play))
    inventory = Path(lab.paths.inventory)  # type: ignore[attr-defined]
    assert run_playbook(playbook, inventory, [NAME])[NAME]["changed"] > 0
    assert run_playbook(playbook, inventory, [NAME])[NAME]["changed"] == 0  # idempotent

    # First run (started by hand, as the timer would): the stage and the recap are recorded.
    _ssh(lab, "systemctl", "start", "sovmigrate-pull.service")
    with open_store(url) as store:
        machine = store.machine(store.campaign("lab-pull"), NAME)
        runs = store.stage_runs(machine_id=machine.id, stage="configure")
        assert machine.state == "configured"
        assert [(r.result, r.controller.split(":")[0]) for r in runs] == [("ok", NAME)]
    (first,) = _reports(url)
    assert (first.source, first.failed) == ("ansible-pull", 0) and first.changed >= 1
    assert _ssh(lab, "cat", "/etc/sovmigrate-pull-test").stdout == "converged by ansible-pull\n"

    # The next timer run: nothing left to change, and the store says so.
    deadline = time.monotonic() + 120
    while len(_reports(url)) < 2 and time.monotonic() < deadline:
        time.sleep(2)
    second = _reports(url)[1]
    assert (second.changed, second.failed, second.source) == (0, 0, "ansible-pull")
    _ssh(lab, "systemctl", "stop", "sovmigrate-pull.timer")
    # journald takes the service's output asynchronously: the recap may land a moment later.
    recap = re.compile(rf"^{NAME}\s+: ok=\d+\s+changed=0\s", re.M)
    journal, until = _journal(lab), time.monotonic() + 30
    while not recap.search(journal) and time.monotonic() < until:
        time.sleep(1)
        journal = _journal(lab)
    assert recap.search(journal), journal[-2000:]

    # A second run while one holds the lock gives up at once.
    held = _ssh(lab, "flock", "/var/lib/sovmigrate/pull/pull.lock",
                "systemctl", "start", "sovmigrate-pull.service", check=False)  # fmt: skip
    assert held.returncode != 0

    # Away from the site: the store cannot be reached, the results wait on the laptop.
    cluster.stop_server()
    try:
        _ssh(lab, "systemctl", "start", "sovmigrate-pull.service")
        spooled = _ssh(lab, f"ls {SPOOL}/*.json").stdout.split()
        assert len(spooled) == 1
        assert _ssh(lab, "stat", "-c", "%a", spooled[0]).stdout.strip() == "600"
    finally:
        cluster.start_server()
    count = len(_reports(url))
    _ssh(lab, "systemctl", "start", "sovmigrate-pull.service")  # back: sent, then its own
    assert _ssh(lab, f"ls {SPOOL}/*.json", check=False).returncode != 0
    reports = _reports(url)
    assert len(reports) == count + 2
    assert reports[-2].at < reports[-1].at and reports[-2].changed == 0
    journal = _journal(lab)
    assert "state store unreachable" in journal and "spooled record" in journal
    # The password: in the root-only env file, not in the journal or the unit.
    assert SECRET not in journal
    assert SECRET not in _ssh(lab, "systemctl", "cat", "sovmigrate-pull.service").stdout
    assert _ssh(lab, "stat -c '%a %U' /etc/sovmigrate/pull.env").stdout.split() == [
        "600",
        "root",
    ]
