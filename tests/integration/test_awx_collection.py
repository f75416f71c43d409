"""The repository as the sovmigrate.migrate collection: built, installed offline into a fresh
path (from the tarball, from the git repository, from collections/requirements.yml), and used
from there alone: ansible-doc shows the plugins with their options, the inventory plugin reads a
store by its full name, the collection's playbooks find their roles."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml
from labtools import isolated_ansible_env

import sovmigrate
from sovmigrate.state import MachineRecord, open_store

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
FQCN = "sovmigrate.migrate.state_store"


def _run(
    argv: list[str], tmp: Path, collections: Path | None = None, cwd: Path | None = None
) -> str:
    # An empty ansible.cfg and a neutral directory: only the installed collection can answer.
    env = isolated_ansible_env(tmp, collections)
    done = subprocess.run(
        [str(BIN / argv[0]), *argv[1:]], cwd=cwd or tmp, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def tarball(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("build")
    _run(["ansible-galaxy", "collection", "build", "--output-path", str(out), str(REPO)], out)
    (built,) = out.glob("*.tar.gz")
    return built


def test_the_build_holds_the_ansible_content_and_nothing_else(tarball: Path) -> None:
    assert tarball.name == f"sovmigrate-migrate-{sovmigrate.__version__}.tar.gz"
    with tarfile.open(tarball) as tar:
        names = set(tar.getnames())
    for wanted in (
        "plugins/callback/state_store.py",
        "plugins/inventory/state_store.py",
        "playbooks/reinstall.yml",
        "playbooks/migrate.yml",
        "roles/user_state_capture/tasks/main.yml",
        "roles/user_state_capture/meta/argument_specs.yml",
        "meta/runtime.yml",
    ):
        assert wanted in names, wanted
    tops = {n.split("/")[0] for n in names}
    assert tops == {
        "FILES.json",
        "MANIFEST.json",
        "README.md",
        "CHANGELOG.md",
        "meta",
        "playbooks",
        "plugins",
        "roles",
    }
    assert not [n for n in names if "/molecule/" in n or "__pycache__" in n]


def test_installed_offline_the_plugins_are_documented(tarball: Path, tmp_path: Path) -> None:
    fresh = tmp_path / "collections"
    _run(
        ["ansible-galaxy", "collection", "install", str(tarball), "-p", str(fresh), "--offline"],
        tmp_path,
    )
    assert (
        fresh / "ansible_collections/sovmigrate/migrate/plugins/callback/state_store.py"
    ).is_file()
    inventory_doc = _run(["ansible-doc", "-t", "inventory", FQCN], tmp_path, fresh)
    callback_doc = _run(["ansible-doc", "-t", "callback", FQCN], tmp_path, fresh)
    assert str(fresh) in inventory_doc and str(fresh) in callback_doc  # the installed copy
    for option in ("db", "campaign", "waves", "SOVMIGRATE_DB"):
        assert option in inventory_doc, option
    for option in ("db", "campaign", "spool_dir", "source", "SOVMIGRATE_SPOOL"):
        assert option in callback_doc, option

    # Used from there: the inventory plugin by its full name, a playbook by its full name.
    db = tmp_path / "state.db"
    with open_store(db) as store:
        camp = store.campaign("cnam", create=True)
        store.upsert_machines(
            camp, [MachineRecord("pc1", site="lyon", vars={"ansible_host": "10.0.0.9"})]
        )
        store.create_wave(camp, "lyon-01", ["pc1"])
    config = tmp_path / "sovmigrate_store.yml"
    config.write_text(yaml.safe_dump({"plugin": FQCN, "db": str(db)}))
    listed = json.loads(_run(["ansible-inventory", "-i", str(config), "--list"], tmp_path, fresh))
    assert "pc1" in listed["wave_lyon_01"]["hosts"] and "pc1" in listed["state_scheduled"]["hosts"]
    checked = _run(
        ["ansible-playbook", "-i", "localhost,", "sovmigrate.migrate.migrate", "--syntax-check"],
        tmp_path,
        fresh,
    )
    assert "ansible_collections/sovmigrate/migrate/playbooks/migrate.yml" in checked


def test_installed_from_the_git_repository_and_the_project_requirements(tmp_path: Path) -> None:
    # The committed tree (git), then an AWX project's sync (collections/requirements.yml, run
    # from the project's root).
    from_git = tmp_path / "git"
    _run(
        [
            "ansible-galaxy",
            "collection",
            "install",
            f"git+file://{REPO},HEAD",
            "-p",
            str(from_git),
            "--offline",
        ],
        tmp_path,
    )
    from_project = tmp_path / "project"
    _run(
        [
            "ansible-galaxy",
            "collection",
            "install",
            "-r",
            "collections/requirements.yml",
            "-p",
            str(from_project),
            "--offline",
        ],
        tmp_path,
        cwd=REPO,
    )
    for root in (from_git, from_project):
        installed = root / "ansible_collections/sovmigrate/migrate"
        manifest = json.loads((installed / "MANIFEST.json").read_text())
        assert manifest["collection_info"]["version"] == sovmigrate.__version__
        assert (installed / "plugins/inventory/state_store.py").is_file()
        assert not (installed / "sovmigrate").exists() and not (installed / "tests").exists()
