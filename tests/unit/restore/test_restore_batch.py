"""The role's plan turned into restore requests: checked whole before anything is restored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sovmigrate.errors import OperationFailed, UsageError
from sovmigrate.userstate import restore_batch
from sovmigrate.userstate.restore import Request

OPTIONS = restore_batch.Options(host="pc-1", locale="fr_FR.UTF-8", apply_settings=False)
SID = "S-1-5-21-1-2-3-1001"


def entry(**over: Any) -> dict[str, Any]:
    return {"user": SID, "name": "Élodie", "kind": "local", "login": "elodie", **over}


def test_each_kind_gets_the_request_the_role_used_to_build() -> None:
    plan = [
        entry(),
        entry(user="S-1-5-21-9-9-9-1105", kind="directory", login="elodie.roux@agence.gouv.fr"),
        entry(user="S-1-5-21-9-9-9-1106", kind="unresolved", login=""),
        entry(user="drive", name="drive data", login="agent", home="/srv/homes/agent"),
    ]
    local, directory, unresolved, drive = restore_batch.requests(plan, OPTIONS)
    assert (local.to_user, local.account, local.create_home, local.unresolved) == (
        "elodie", "local", False, False
    )  # fmt: skip
    assert local.host == "pc-1" and local.locale == "fr_FR.UTF-8" and not local.apply_settings
    assert directory.create_home and directory.account == "directory"
    assert unresolved.unresolved and not unresolved.create_home
    assert drive.home == Path("/srv/homes/agent") and local.home is None


@pytest.mark.parametrize(
    ("plan", "words"),
    [
        ({"user": SID}, "expected a JSON list"),
        (["S-1-5"], "entry 1 is not an object"),
        ([entry(), entry(user="")], "entry 2 has no 'user'"),
        ([entry(kind="admin")], f"entry 1 ({SID}): 'kind' must be one of"),
        ([entry(login="")], f"entry 1 ({SID}) has no 'login'"),
        ([entry(login=7)], "has no 'login'"),
        ([entry(home="homes/elodie")], "'home' must be an absolute path"),
    ],
)
def test_a_bad_plan_is_refused_whole_naming_the_entry(plan: Any, words: str) -> None:
    ran: list[Request] = []

    def run(_store: Any, req: Request) -> dict[str, Any]:
        ran.append(req)
        return {}

    with pytest.raises(UsageError, match=r"^--plan: ") as caught:
        restore_batch.restore_planned(None, plan, OPTIONS, run)  # type: ignore[arg-type]
    assert words in str(caught.value)
    assert not ran  # nothing restored before the plan is known good


def test_one_users_failure_is_its_result_and_the_others_still_run() -> None:
    def run(_store: Any, req: Request) -> dict[str, Any]:
        if req.user == SID:
            raise OperationFailed("the store is damaged: snapshot 1234abcd could not be read")
        return {"user": req.user, "ok": True, "verified": True}

    plan = [entry(), entry(user="drive", name="", login="agent")]
    first, second = restore_batch.restore_planned(None, plan, OPTIONS, run)  # type: ignore[arg-type]
    assert first["user"] == SID and first["name"] == "Élodie" and first["linux_user"] == "elodie"
    assert not first["ok"] and not first["verified"] and not first["changed"]
    assert first["reason"].startswith("the store is damaged") and first["files"] == 0
    assert second == {"user": "drive", "ok": True, "verified": True}
