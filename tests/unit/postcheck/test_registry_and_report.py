"""The postcheck's contract: check names, the BP-028 catalogue, the JSON verdict, the CLI edge."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from sovmigrate.postcheck import ROLES, CheckResult, Report, Status, all_checks, select
from sovmigrate.postcheck.bp028 import RULES
from sovmigrate.postcheck.context import merge

ROOT = Path(__file__).resolve().parents[3]


def test_every_role_has_checks_and_names_are_unique() -> None:
    checks = all_checks()
    names = [c.name for c in checks]
    assert len(names) == len(set(names))
    assert {c.role for c in checks} == set(ROLES)
    assert all(c.description for c in checks)


def test_hardening_checks_are_named_by_r_number_and_match_the_role_catalogue() -> None:
    role_vars = yaml.safe_load((ROOT / "roles/hardening/vars/main.yml").read_text())
    catalogue = role_vars["__hardening_catalogue"]
    assert {r.number: (r.level, r.title) for r in RULES} == {
        k: (v["level"], v["title"]) for k, v in catalogue.items()
    }
    names = {c.name for c in select(["hardening"])}
    assert names == {f"hardening:{r.number}" for r in RULES}


def test_select_filters_by_role_and_glob_in_role_order() -> None:
    chosen = select(["interministerial_suite"], ["suite:tchap_*"])
    assert chosen and all(c.name.startswith("suite:tchap_") for c in chosen)
    every = select()
    roles_in_order = list(dict.fromkeys(c.role for c in every))
    assert roles_in_order == list(ROLES)


def test_report_json_has_one_verdict_per_check_and_fails_on_any_failure() -> None:
    report = Report(
        host="m1",
        results=[
            CheckResult("a:x", "workstation_base", Status.PASS, "fine"),
            CheckResult("b:y", "hardening", Status.SKIP, "not applied"),
        ],
    )
    doc = json.loads(json.dumps(report.as_dict()))
    assert doc["verdict"] == "pass"
    assert doc["summary"] == {"pass": 1, "fail": 0, "skip": 1}
    assert doc["checks"][0] == {
        "name": "a:x",
        "role": "workstation_base",
        "status": "pass",
        "detail": "fine",
    }
    report.results.append(CheckResult("c:z", "hardening", Status.FAIL, "broken"))
    assert report.as_dict()["verdict"] == "fail"
    assert [r.name for r in report.failed] == ["c:z"]


def test_expectations_merge_overrides_scalars_and_lists_recursively() -> None:
    base = {"tchap": {"version": "1", "packages": ["a"]}, "x": 1}
    assert merge(base, {"tchap": {"packages": ["b"]}}) == {
        "tchap": {"version": "1", "packages": ["b"]},
        "x": 1,
    }


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sovmigrate", "postcheck", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_cli_lists_checks_as_json() -> None:
    out = _cli("--list", "--format", "json")
    assert out.returncode == 0
    rows = json.loads(out.stdout)
    assert {"name": "suite:tchap_version", "role": "interministerial_suite"}.items() <= next(
        r for r in rows if r["name"] == "suite:tchap_version"
    ).items()


def test_cli_unknown_host_is_a_one_line_usage_error(tmp_path: Path) -> None:
    inv = tmp_path / "inv.yml"
    inv.write_text("all:\n  hosts:\n    known:\n      ansible_host: 127.0.0.1\n")
    out = _cli("nosuchhost", "--inventory", str(inv))
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert "nosuchhost is not in the inventory" in out.stderr


def test_cli_bad_expect_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "e.json"
    bad.write_text("[1, 2]")
    out = _cli("local", "--expect", str(bad))
    assert out.returncode == 2
    assert "a JSON object keyed by role" in out.stderr
