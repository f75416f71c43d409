"""The published JSON Schemas are valid and describe what the code writes."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from sovmigrate.userstate import manifest as manifest_io
from sovmigrate.userstate.manifest import Entry, Excluded, Manifest, NotMigrated

FORMATS = Path(__file__).resolve().parents[3] / "docs" / "formats"


def _schema(name: str) -> dict[str, object]:
    schema = json.loads((FORMATS / name).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def test_inspect_schema_is_valid() -> None:
    _schema("inspect-v1.schema.json")


def test_written_manifest_matches_its_schema() -> None:
    m = Manifest(
        host="pc1",
        kind="user",
        name="a",
        sid="S-1-5-21-1-1001",
        roots={"profile": "Users/a"},
        known_folders={
            "Personal": {
                "registry_value": "%USERPROFILE%\\Documents",
                "location": "Users/a/Documents",
                "redirect": "",
                "exists": "true",
            }
        },
        settings={"mapped_drives": {"Z": "\\\\srv\\x"}, "printers": []},
        entries=[Entry("profile", "Documents/x", 1, 2, "0" * 64, "Personal", 0, [])],
        excluded=[Excluded("profile", "NTUSER.DAT", "registry-hive")],
        not_migrated=[NotMigrated("profile", "Desktop", "unc-redirect", "\\\\srv\\d")],
    )
    document = json.loads(manifest_io.dumps([m]))
    jsonschema.validate(document, _schema("manifest-v1.schema.json"))
