"""The lab directory's description: what a pilot writes, and the one-line refusals."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sovmigrate.errors import UsageError
from sovmigrate.lab.directory import LAB_DEFAULT, DirectoryUser, from_data, load


def test_a_description_lists_groups_users_and_shares(tmp_path: Path) -> None:
    path = tmp_path / "annuaire.yml"
    path.write_text(
        "groups: [admins-poste, agents]\n"
        "users:\n"
        "  - {login: alice.martin, groups: [agents, admins-poste]}\n"
        "  - bruno.petit\n"
        "  - {login: joinposte, groups: [Domain Admins]}\n"
        "shares: [partage]\n",
        encoding="utf-8",
    )
    d = load(path)
    assert d.groups == ("admins-poste", "agents")
    assert d.user("Alice.Martin") == DirectoryUser("alice.martin", ("agents", "admins-poste"))
    assert d.user("bruno.petit").groups == ()
    assert d.shares == ("partage",)


def test_merging_adds_users_and_keeps_the_first_ones() -> None:
    more = from_data(
        {"groups": ["agents"], "users": [{"login": "chloe.durand", "groups": ["agents"]}]}
    )
    merged = LAB_DEFAULT.merged(more)
    assert [u.login for u in merged.users][-1] == "chloe.durand"
    assert {u.login for u in LAB_DEFAULT.users} < {u.login for u in merged.users}
    assert merged.shares == LAB_DEFAULT.shares


@pytest.mark.parametrize(
    ("data", "culprit"),
    [
        ({"users": ["x" * 21]}, "'xxxxxxxxxxxxxxxxxxxxx' is not a valid logon name"),
        ({"users": ["a/b"]}, "'a/b' is not a valid logon name"),
        ({"users": [{"login": "a", "groups": ["nope"]}]}, "is in group 'nope', not listed"),
        ({"users": ["a", "A"]}, "user 'A' is listed twice"),
        ({"groups": ["Domain Admins"]}, "'Domain Admins' exists in every domain"),
        ({"shares": ["par tage"]}, "'par tage' is not a valid share name"),
        ({"user": []}, "unknown key 'user'"),
        ([1, 2], "expected a mapping"),
        ({"users": [{"groups": []}]}, "user #1 has no login"),
    ],
)
def test_a_bad_entry_is_one_error_naming_it(data: object, culprit: str) -> None:
    with pytest.raises(UsageError, match=r"^annuaire\.yml: ") as err:
        from_data(data, "annuaire.yml")
    assert culprit in str(err.value)


def test_the_cli_refuses_a_broken_file_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "annuaire.yml"
    path.write_text("users: [alice\n", encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sovmigrate",
            "lab",
            "--dir",
            str(tmp_path),
            "dc",
            "--directory",
            str(path),
        ],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "annuaire.yml: not valid YAML" in lines[0], done.stderr
