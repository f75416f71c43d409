"""AWX as code, tested as far as it can be without AWX (it needs Kubernetes; none here):
playbooks/awx/configure_awx.yml parses, each awx.awx task's arguments are ones its module
documents (required ones given, literal choices valid), its workflow chains the stages in
pipeline order; the execution environment's build context installs the collection offline
with the image's own command, after which the plugins answer from that install."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from labtools import isolated_ansible_env

from sovmigrate.state import STAGES
from sovmigrate.state.pipeline_states import READY_STATE

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PLAYBOOK = REPO / "playbooks" / "awx" / "configure_awx.yml"
COMMON = {"controller_host", "controller_username", "controller_password", "validate_certs"}


_env = isolated_ansible_env


def _tasks() -> list[dict[str, Any]]:
    (play,) = yaml.safe_load(PLAYBOOK.read_text())
    return play["tasks"]


def test_the_awx_playbook_parses_and_its_arguments_are_documented(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(BIN / "ansible-playbook"), "--syntax-check", str(PLAYBOOK)],
        env=_env(tmp_path), capture_output=True, text=True, cwd=REPO,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    awx = {k: t for t in _tasks() for k in t if k.startswith("awx.awx.")}
    docs = json.loads(
        subprocess.run(
            [str(BIN / "ansible-doc"), "-j", *sorted({k for k in awx})],
            env=_env(tmp_path), capture_output=True, text=True, check=True,
        ).stdout
    )  # fmt: skip
    for task in _tasks():
        module = next((k for k in task if k.startswith("awx.awx.")), None)
        if module is None:
            continue
        options = docs[module]["doc"]["options"]
        known = set(options) | {a for o in options.values() for a in o.get("aliases", [])}
        args = task[module]
        assert set(args) <= known, f"{task['name']}: unknown {sorted(set(args) - known)}"
        for name, spec in options.items():
            if spec.get("required") and name not in COMMON:
                assert name in args, f"{task['name']}: {name} is required"
            value = args.get(name)
            if spec.get("choices") and isinstance(value, str) and "{{" not in value:
                assert value in spec["choices"], f"{task['name']}: {name}={value!r}"

    by_module = {k: t[k] for t in _tasks() for k in t if k.startswith("awx.awx.")}
    injected = by_module["awx.awx.credential_type"]["injectors"]["env"]
    assert injected["ANSIBLE_CALLBACKS_ENABLED"] == "sovmigrate.migrate.state_store"
    assert {"SOVMIGRATE_DB", "PGPASSWORD"} <= set(injected)
    source = by_module["awx.awx.inventory_source"]
    assert yaml.safe_load((REPO / source["source_path"]).read_text())["plugin"] == (
        "sovmigrate.migrate.state_store"
    )
    template = by_module["awx.awx.job_template"]
    assert (
        "job_slice_count" in template
        and "{{ sovmigrate_awx_name }} store" in template["credentials"]
    )
    for stage in STAGES:  # every job template's playbook exists
        assert (REPO / "playbooks" / f"{stage}.yml").is_file(), stage


def test_the_workflow_chains_the_stages_in_pipeline_order() -> None:
    (play,) = yaml.safe_load(PLAYBOOK.read_text())
    workflow = next(t for t in play["tasks"] if "awx.awx.workflow_job_template" in t)
    nodes = workflow["awx.awx.workflow_job_template"]["workflow_nodes"]
    chain = [
        (n["identifier"], [s["identifier"] for s in n["related"]["success_nodes"]]) for n in nodes
    ]
    assert chain == [
        (s, [n] if n else []) for s, n in zip(STAGES, [*STAGES[1:], None], strict=True)
    ]
    names = [
        n["unified_job_template"]["name"].replace("{{ sovmigrate_awx_name }}", "x") for n in nodes
    ]
    assert names == [f"x {s}" for s in STAGES]  # the job templates the loop creates
    ready = {s["stage"]: s["ready"] for s in play["vars"]["__sovmigrate_awx_stages"]}
    assert ready == READY_STATE


def test_the_execution_environment_installs_the_collection_offline(tmp_path: Path) -> None:
    builder = shutil.which("ansible-builder", path=str(BIN))
    assert builder is not None, "ansible-builder: the dev extra of pyproject.toml installs it"
    context = tmp_path / "context"
    done = subprocess.run(
        [builder, "create", "-f", "execution-environment.yml", "-c", str(context)],
        capture_output=True, text=True, cwd=REPO,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    (containerfile,) = [p for p in context.iterdir() if p.name in ("Containerfile", "Dockerfile")]
    install = next(
        line
        for line in containerfile.read_text().splitlines()
        if "ansible-galaxy collection install" in line
    )
    # The image's own command, run here against the same build context.
    argv = re.sub(r"^RUN ", "", install).split(" && ")[0].split()
    argv = [str(BIN / argv[0]), *argv[1:]]
    target = tmp_path / "collections"
    argv[argv.index("/usr/share/ansible/collections")] = str(target)
    argv[argv.index("/tmp/sovmigrate-collection")] = str(
        context / "_build" / "sovmigrate-collection"
    )
    subprocess.run(argv, env=_env(tmp_path), capture_output=True, text=True, check=True)
    installed = target / "ansible_collections" / "sovmigrate" / "migrate"
    assert (installed / "playbooks" / "reinstall.yml").is_file()
    assert not list(installed.glob("roles/*/molecule"))
    for kind in ("inventory", "callback"):
        doc = subprocess.run(
            [str(BIN / "ansible-doc"), "-t", kind, "sovmigrate.migrate.state_store"],
            env=_env(tmp_path, target), capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        assert str(installed) in doc and "SOVMIGRATE_DB" in doc
