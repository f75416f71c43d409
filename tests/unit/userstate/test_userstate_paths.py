"""Windows paths, manifest round trip, raw NTFS fields and restic error wording."""

from __future__ import annotations

import struct
from io import BytesIO
from pathlib import Path

import pytest

from sovmigrate.errors import EnvironmentProblem, OperationFailed, UsageError
from sovmigrate.userstate import manifest as manifest_io
from sovmigrate.userstate import ntfsraw, winpath
from sovmigrate.userstate.manifest import Entry, Excluded, Manifest, NotMigrated, SnapshotRef
from sovmigrate.userstate.store import ResticStore


def test_expand_is_case_insensitive_and_keeps_unknown() -> None:
    variables = {**winpath.base_variables(), "USERPROFILE": "C:\\Users\\a"}
    assert winpath.expand("%userprofile%\\Documents", variables) == "C:\\Users\\a\\Documents"
    assert winpath.expand("%SystemDrive%\\Users\\b", variables) == "C:\\Users\\b"
    assert winpath.expand("%ONEDRIVE%\\x", variables) == "%ONEDRIVE%\\x"


def test_volume_relative() -> None:
    assert winpath.to_volume_relative("C:\\Users\\Hélène\\") == "Users/Hélène"
    assert winpath.to_volume_relative("c:/Donnees/x") == "Donnees/x"
    assert winpath.to_volume_relative("D:\\Data") is None
    assert winpath.is_unc("\\\\srv\\share")


def test_resolve_ignores_case_and_refuses_links(tmp_path: Path) -> None:
    (tmp_path / "Users" / "Alice" / "Documents").mkdir(parents=True)
    (tmp_path / "Users" / "link").symlink_to(tmp_path / "Users" / "Alice")
    assert winpath.resolve(tmp_path, "users/ALICE/documents") == "Users/Alice/Documents"
    assert winpath.resolve(tmp_path, "Users/link/Documents") is None
    assert winpath.resolve(tmp_path, "Users/Bob") is None


def test_manifest_round_trip(tmp_path: Path) -> None:
    m = Manifest(
        host="pc1",
        kind="user",
        name="Hélène",
        sid="S-1-5-21-1-2-3-1001",
        roots={"profile": "Users/Hélène", "Personal": "Donnees/h/Docs"},
        entries=[Entry("Personal", "a b/é.txt", 3, 10, "ab" * 32, "Personal")],
        excluded=[Excluded("profile", "NTUSER.DAT", "registry-hive", 8192)],
        not_migrated=[NotMigrated("profile", "OneDrive/x", "onedrive-placeholder")],
        snapshot=SnapshotRef("abcd1234", ["host:pc1"], "/srv/store"),
        verified=True,
    )
    path = tmp_path / "m.json"
    manifest_io.write(path, [m])
    (back,) = manifest_io.read(path)
    assert back == m
    assert back.volume_path(back.entries[0]) == "Donnees/h/Docs/a b/é.txt"
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]  # no temp file left


def test_manifest_other_version_is_refused() -> None:
    with pytest.raises(ValueError, match="version 2"):
        Manifest.from_dict({"format": "sovmigrate-manifest", "version": 2})


def _boot(oem: bytes) -> bytes:
    sector = bytearray(512)
    sector[3:11] = oem
    struct.pack_into("<HB", sector, 0x0B, 512, 8)
    struct.pack_into("<QQ", sector, 0x30, 4, 8)
    struct.pack_into("<b", sector, 0x40, -10)
    return bytes(sector)


def test_boot_sector_fields() -> None:
    boot = ntfsraw.read_boot_sector(BytesIO(_boot(b"NTFS    ")))
    assert (boot.cluster_size, boot.mft_lcn, boot.mft_record_size) == (4096, 4, 1024)
    assert ntfsraw.is_bitlocker(BytesIO(_boot(ntfsraw.BITLOCKER_OEM_ID)))
    assert not ntfsraw.is_bitlocker(BytesIO(_boot(b"NTFS    ")))
    with pytest.raises(ValueError, match="not an NTFS"):
        ntfsraw.volume_flags_offsets(BytesIO(_boot(b"MSDOS5.0")))


@pytest.mark.parametrize(
    ("stderr", "error", "words"),
    [
        ("Fatal: wrong password or no key found\n", UsageError, "wrong password"),
        (
            "Fatal: unable to save snapshot: write /s/data/x: no space left on device\n",
            EnvironmentProblem,
            "store full",
        ),
        (
            "ssh: connect to host 10.0.0.1 port 22: Connection refused\nFatal: unable to open "
            "repository\n",
            EnvironmentProblem,
            "store unreachable",
        ),
        ("Fatal: something else\n", OperationFailed, "something else"),
    ],
)
def test_restic_failures_become_one_actionable_line(
    tmp_path: Path, stderr: str, error: type[Exception], words: str
) -> None:
    pw = tmp_path / "pw"
    pw.write_text("x")
    exc = ResticStore(str(tmp_path / "s"), pw)._fail(stderr, "backup")
    assert isinstance(exc, error) and words in str(exc) and "\n" not in str(exc)


def test_sftp_repository_gets_a_non_interactive_ssh(tmp_path: Path) -> None:
    pw = tmp_path / "pw"
    pw.write_text("S3CRET-PW")
    store = ResticStore("sftp://backup@10.231.3.2:2222//srv/restic", pw)
    assert store._ssh_command() == [
        "ssh",
        "-o",
        "BatchMode=yes",
        "-o",
        "ConnectTimeout=10",
        "-p",
        "2222",
        "backup@10.231.3.2",
        "-s",
        "sftp",
    ]
    assert "S3CRET-PW" not in " ".join(store._argv(["snapshots"]))
    assert store._env()["RESTIC_PASSWORD_FILE"] == str(pw)  # the password is never in argv
    assert ResticStore("sftp:root@host:/srv/r", pw)._ssh_command()[-3] == "root@host"
