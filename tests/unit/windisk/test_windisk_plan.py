"""Fixture plans: deterministic from the seed, varied across seeds, hostile cases present."""

from __future__ import annotations

import pytest

from sovmigrate.lab.windisk.domain import Domain, DomainAccount
from sovmigrate.lab.windisk.plan import plan_disk


def test_same_seed_same_plan() -> None:
    a, b = plan_disk(7, 200_000, True), plan_disk(7, 200_000, True)
    assert [u.sid for u in a.users] == [u.sid for u in b.users]
    assert [(f.path, f.data) for f in a.files] == [(f.path, f.data) for f in b.files]


def test_different_seeds_differ() -> None:
    plans = [plan_disk(seed, 200_000, False) for seed in range(5)]
    assert len({tuple(u.name for u in p.users) for p in plans}) > 1
    assert len({p.users[0].sid for p in plans}) == 5


def test_hostile_cases_are_planned() -> None:
    plan = plan_disk(1, 100_000, True)
    paths = [f.path for f in plan.files]
    assert any(len(p) > 260 for p in paths)
    assert any(p.endswith(".") for p in paths) and any(p.endswith(" ") for p in paths)
    assert any("\u0301" in p for p in paths)
    assert any(f.streams for f in plan.files)
    assert any(f.final_size > 4 << 30 for f in plan.files)
    kinds = {f.kind for f in plan.files}
    assert {"junction", "placeholder", "file"} <= kinds
    redirects = {k.redirect for u in plan.users for k in u.known_folders.values()}
    assert {"local", "unc", "onedrive"} <= redirects


def test_half_of_the_bulk_is_shared_between_users() -> None:
    plan = plan_disk(3, 3_000_000, False)
    bulk = [f for f in plan.files if "/Archives/" in f.path]
    by_user: dict[str, set[bytes]] = {}
    for f in bulk:
        by_user.setdefault(f.owner, set()).add(f.data)
    common = set.intersection(*by_user.values())
    assert common and all(len(common) < len(v) for v in by_user.values())


def test_domain_joined_disk_has_directory_profiles_and_one_local_account() -> None:
    directory = Domain(
        "LAB",
        (
            DomainAccount("agent.un", "S-1-5-21-1-2-3-1104"),
            DomainAccount("agent.deux", "S-1-5-21-1-2-3-1105"),
        ),
        share="\\\\dc.lab.test\\partage",
    )
    plan = plan_disk(7, 200_000, False, directory)
    profile_list = "Microsoft\\Windows NT\\CurrentVersion\\ProfileList"
    by_sid = {u.sid: u for u in plan.users}
    for account in directory.accounts:
        user = by_sid[account.sid]
        assert user.profile == f"Users/{account.login}" and user.domain == "LAB"
        assert f"{profile_list}\\{account.sid}" in plan.software
        assert list(user.settings.mapped_drives.values()) == [directory.share]
    local = [u for u in plan.users if not u.domain]
    assert len(local) == 1
    # The local account lives in the PC's own (machine) SID domain, not the directory's.
    assert local[0].sid.rsplit("-", 1)[0] != "S-1-5-21-1-2-3"
    assert "srv-fichiers" in next(iter(local[0].settings.mapped_drives.values()))
    # Every profile has its files.
    owners = {f.owner for f in plan.files if f.owner}
    assert owners == {u.name for u in plan.users}


def test_domain_needs_account_sids() -> None:
    with pytest.raises(ValueError, match="not an account SID"):
        Domain("LAB", (DomainAccount("agent", "S-1-5-18"),))
