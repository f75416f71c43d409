"""Which account receives each captured profile (sovmigrate/userstate/identity.py).

The directory here is a stand-in (a table of SID -> name, what SSSD answers on a joined
machine); the real SSSD path runs in the end-to-end test against the lab's Samba AD DC.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sovmigrate.errors import UsageError
from sovmigrate.userstate import identity

DOMAIN = "S-1-5-21-1111111111-2222222222-3333333333"
MACHINE = "S-1-5-21-4444444444-5555555555-6666666666"


class TableDirectory:
    """Directory stand-in: answers like SSSD's getnamebysid for the SIDs it holds."""

    def __init__(self, table: dict[str, str]) -> None:
        self.table = table

    def name_of(self, sid: str) -> str | None:
        return self.table.get(sid)


def _assign(profiles, table, user_map=None, domains=None):
    local = {sid: name.lower() for sid, name in profiles}
    return {
        a.sid: a
        for a in identity.assign(
            profiles, local, user_map or {}, TableDirectory(table), domains or set()
        )
    }


def test_directory_sids_go_to_their_directory_account_and_local_ones_stay_local() -> None:
    agent, local = f"{DOMAIN}-1104", f"{MACHINE}-1001"
    out = _assign([(agent, "amelie.durand"), (local, "Poste.Local")], {agent: "zz-amelie.durand"})
    assert (out[agent].kind, out[agent].login) == ("directory", "zz-amelie.durand")
    assert (out[local].kind, out[local].login) == ("local", "poste.local")


def test_a_deleted_account_of_the_directory_domain_is_unresolved_never_local() -> None:
    agent, gone = f"{DOMAIN}-1104", f"{DOMAIN}-1190"
    out = _assign([(agent, "amelie.durand"), (gone, "parti.ailleurs")], {agent: "zz-a"})
    assert out[gone].kind == "unresolved"
    assert out[gone].login == ""
    assert gone in out[gone].reason


def test_the_directory_domain_can_be_named_when_no_profile_resolves() -> None:
    gone = f"{DOMAIN}-1190"
    assert _assign([(gone, "parti")], {})[gone].kind == "local"  # nothing says it is a domain
    assert _assign([(gone, "parti")], {}, domains={DOMAIN})[gone].kind == "unresolved"


def test_the_campaign_map_wins_over_resolution() -> None:
    gone = f"{DOMAIN}-1190"
    out = _assign([(gone, "parti")], {}, user_map={"parti": "zz-repreneur"}, domains={DOMAIN})
    assert (out[gone].kind, out[gone].login) == ("local", "zz-repreneur")


def test_domain_of_reads_only_account_sids() -> None:
    assert identity.domain_of(f"{DOMAIN}-500") == DOMAIN
    assert identity.domain_of("S-1-5-18") is None
    assert identity.domain_of("S-1-5-21-1-2") is None


def test_the_unresolved_place_is_root_only_and_refuses_a_non_sid(tmp_path: Path) -> None:
    place = identity.unresolved_place("PC-01", f"{DOMAIN}-1190", root=tmp_path / "u")
    assert place == tmp_path / "u" / "PC-01" / f"{DOMAIN}-1190"
    assert all(
        oct(p.stat().st_mode)[-3:] == "700" for p in (place, place.parent, place.parent.parent)
    )
    with pytest.raises(UsageError):
        identity.unresolved_place("PC-01", "../../etc", root=tmp_path / "u")
