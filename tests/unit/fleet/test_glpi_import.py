"""GLPI native inventories (hand-written, following the schema) give the expected machines."""

from __future__ import annotations

import datetime as dt
import json
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest

from sovmigrate.errors import UsageError
from sovmigrate.fleet.glpi import InvalidInventory, parse_glpi
from sovmigrate.fleet.importer import load_fleet

DATA = Path(__file__).parents[2] / "data" / "glpi"
GOOD = DATA / "good"


def _one(name: str):
    return parse_glpi(json.loads((GOOD / name).read_text()), name)


def test_windows_agent_quirks_and_fields() -> None:
    m = _one("paris-latitude-5420.json")
    assert m.name == "PARIS-LAT-0001"
    assert m.key == "4c4c4544-0046-4a10-804b-b8c04f4c3933"  # UUID, lowercased
    assert m.arch_bits == 64  # cpus[].arch says i386: operatingsystem.arch "64 bits" wins
    assert m.firmware == "unknown" and m.secure_boot is None
    assert (m.manufacturer, m.model, m.chassis) == ("Dell Inc.", "Latitude 5420", "laptop")
    assert (m.site, m.department) == ("PARIS", "RH")
    assert m.ram_mb == 16111
    assert m.disk_gb == pytest.approx(465.8, abs=0.1)  # the USB stick is not the disk
    assert m.encrypted_volumes == ("C:",)
    assert m.has_wifi
    pci = {(c.vendor, c.device) for c in m.controllers}
    assert ("8086", "a0f0") in pci and len(pci) == 3  # the USB hub has no PCI ids
    assert [s.name for s in m.softwares].count("Google Chrome") == 1  # duplicates collapsed
    # used C: is ~181 GB; minus the system baseline it is user data; network/removable ignored
    assert m.user_data_gb == pytest.approx((486950 - 301234) / 1024 - 25, abs=0.2)
    assert m.users == ("marie.durand",)


def test_placeholder_uuid_falls_back_to_deviceid_and_accountinfo_tag() -> None:
    m = _one("lyon-compaq-32bit.json")
    assert m.uuid == "" and m.key == "LYON-OLD-0042-2026-09-02-10-00-00"
    assert (m.site, m.department) == ("LYON", "Accueil")
    assert m.arch_bits == 32


def test_missing_sections_give_unknowns_not_errors() -> None:
    m = _one("minimal-sections-missing.json")
    assert (m.name, m.ram_mb, m.disk_gb, m.arch_bits) == ("MIN-0001", 0, 0.0, None)
    assert (m.site, m.model, m.softwares, m.controllers) == ("unknown", "unknown", (), ())


def test_reinventory_updates_instead_of_doubling() -> None:
    result = load_fleet([GOOD])
    assert result.files == 5 and result.duplicates == 1
    paris = [m for m in result.machines if m.name == "PARIS-LAT-0001"]
    assert len(paris) == 1
    assert paris[0].ram_mb == 32000  # the later inventory wins
    assert paris[0].deviceid == "PARIS-LAT-0001-2026-10-20-09-00-00"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("not-glpi.json", r"not-glpi\.json: content: missing: not a GLPI inventory"),
        ("malformed.json", r"malformed\.json: line 1 column \d+: malformed JSON"),
        ("missing-deviceid.json", r"missing-deviceid\.json: deviceid: missing"),
        (
            "bad-memory.json",
            r"bad-memory\.json: content\.hardware\.memory: 'beaucoup' is not a number",
        ),
        ("printer.json", r"printer\.json: itemtype: 'Printer' is not a computer"),
    ],
)
def test_bad_files_name_file_and_field(name: str, expected: str) -> None:
    with pytest.raises(InvalidInventory, match=expected):
        load_fleet([DATA / "bad" / name])


def test_skip_invalid_lists_every_skipped_file() -> None:
    result = load_fleet([GOOD, DATA / "bad"], skip_invalid=True)
    assert len(result.machines) == 4
    assert sorted(Path(f).name for f, _ in result.skipped) == sorted(
        p.name for p in (DATA / "bad").iterdir()
    )


def test_archives_tar_gz_and_zip(tmp_path: Path) -> None:
    tgz = tmp_path / "fleet.tar.gz"
    with tarfile.open(tgz, "w:gz") as archive:
        for path in GOOD.iterdir():
            archive.add(path, arcname=f"export/{path.name}")
    zipped = tmp_path / "fleet.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.write(DATA / "bad" / "printer.json", "export/printer.json")
    assert len(load_fleet([tgz]).machines) == 4
    with pytest.raises(InvalidInventory, match=r"fleet\.zip!export/printer\.json: itemtype"):
        load_fleet([zipped])
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(b"not an archive")
    with pytest.raises(UsageError, match=r"broken\.tar\.gz: unreadable archive"):
        load_fleet([broken])


def test_no_inventory_and_missing_path_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no inventory file"):
        load_fleet([tmp_path])
    with pytest.raises(UsageError, match="no such file"):
        load_fleet([tmp_path / "absent"])


@pytest.mark.parametrize("workers", [1, 2])
def test_a_missing_path_is_reported_before_any_bad_file(tmp_path: Path, workers: int) -> None:
    """The pool starts on the first files while the others are still listed: a path that
    does not exist is still the error shown, not a bad file met before it, and the count of
    files is every file listed."""
    from sovmigrate.assess.config import load_config
    from sovmigrate.fleet.importer import prepare_fleet

    fleet = tmp_path / "fleet"
    fleet.mkdir()
    for i, good in enumerate(sorted(GOOD.glob("*.json")) * 3):
        (fleet / f"{i:03d}-{good.name}").write_bytes(good.read_bytes())
    (fleet / "zzz-malformed.json").write_bytes((DATA / "bad" / "malformed.json").read_bytes())
    with pytest.raises(UsageError, match="absent: no such file"):
        prepare_fleet([fleet, tmp_path / "absent"], load_config(None), workers=workers)
    result = prepare_fleet([fleet], load_config(None), workers=workers, skip_invalid=True)
    assert result.files == len(list(fleet.iterdir()))
    assert [name for name, _ in result.skipped] == [str(fleet / "zzz-malformed.json")]


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"source": "lone-\ud800.json"},
        {"name": 'PC-é-\u2028-\x00-"quoted"', "key": "clé"},
        {"extra": {"when": dt.date(2026, 12, 7), "set": "x"}},  # written as str(), as before
        {"disk_gb": float("nan"), "user_data_gb": float("inf")},  # NaN stays NaN, not null
        {"ram_mb": 10**30},
        {"disk_gb": 10**400},
    ],
)
def test_facts_text_is_the_facts(change: dict[str, Any]) -> None:
    """The facts text, encoded with cached fragments, decodes to
    ``json.dumps(machine.to_facts(), default=str)``, odd values included."""
    import dataclasses

    from sovmigrate.fleet.prepare import _facts_head

    m = dataclasses.replace(_one("paris-latitude-5420.json"), **change)
    text = _facts_head(m.key, m.name) + m.facts_tail()
    expected = json.dumps(m.to_facts(), default=str, sort_keys=True)
    assert json.dumps(json.loads(text), sort_keys=True) == expected


@pytest.mark.parametrize(
    ("key", "hours", "params"),
    [
        ("k-1", 2.5, (("titles", "Outil é"), ("ram_mb", 4096), ("gb", 1.5))),
        ("clé-\ud800", 2.5, ()),  # a lone surrogate
        ("k-2", float("inf"), ()),
        ("k-3", 1.0, (("min_gb", float("nan")),)),
        ("k-4", 1.0, (("flag", True), ("big", 10**30))),
    ],
)
def test_summary_text_is_the_summary(
    key: str, hours: float, params: tuple[tuple[str, Any], ...]
) -> None:
    from sovmigrate.assess.readiness import Assessment, Reason
    from sovmigrate.fleet.prepare import _summary_head, encode_summary

    m = _one("paris-latitude-5420.json")
    m.key = key
    reasons = (Reason("firmware-unknown", "info"), Reason("ram-low", "needs-action", params))
    verdict = Assessment("needs-action", reasons, transfer_hours=hours, rules="r1")
    text = encode_summary(m, verdict)
    low = ["ram-low", "needs-action", dict(params)] if params else ["ram-low", "needs-action"]
    expected = [
        key, m.site, m.department, m.manufacturer, m.model, m.user_data_gb, "needs-action",
        [["firmware-unknown", "info"], low], hours, "r1",
    ]  # fmt: skip
    assert text.startswith(_summary_head(key))
    assert json.dumps(json.loads(text)) == json.dumps(expected, default=str)


@pytest.mark.parametrize("name", sorted(p.name for p in GOOD.glob("*.json")))
def test_stored_facts_read_back_as_the_same_machine(name: str) -> None:
    """The facts text the import stores (encoded with cached fragments, key and name added
    after the merge) is the machine's facts and verdict, and decodes back into an equal
    machine."""
    from sovmigrate.assess.config import load_config
    from sovmigrate.fleet import prepare
    from sovmigrate.fleet.model import Machine

    m = _one(name)
    prepare.start(load_config(None))
    first = prepare.prepare(m)
    again = prepare.prepare(m)  # the second time from the fragment cache
    assert again.facts_json() == first.facts_json()
    data = json.loads(first.facts_json())
    verdict = prepare.assessor_for(load_config(None)).assess(m)
    assert data == json.loads(json.dumps(m.to_facts()))
    assert Machine.from_facts(data) == m
    first.name, first.key = "RENAMED-01", "k-merged"  # what the merge and naming may change
    renamed = json.loads(first.facts_json())
    assert (renamed["name"], renamed["key"]) == ("RENAMED-01", "k-merged")
    assert {**renamed, "name": m.name, "key": m.key} == data
    stored = prepare.read_summary("RENAMED-01", first.summary_json(), verdict.rules)
    assert stored is not None
    light, stored_verdict = stored
    assert (light.key, light.name, light.site, light.hardware_model, light.user_data_gb) == (
        "k-merged",
        "RENAMED-01",
        m.site,
        m.hardware_model,
        m.user_data_gb,
    )
    assert (stored_verdict.status, stored_verdict.reasons, stored_verdict.transfer_hours) == (
        verdict.status,
        verdict.reasons,
        verdict.transfer_hours,
    )
    assert verdict.reasons  # every GLPI machine has one at least: its firmware is not reported


def test_a_damaged_or_stale_summary_is_not_read() -> None:
    """The planner re-assesses from the facts any machine whose summary it cannot trust."""
    from sovmigrate.assess.config import load_config
    from sovmigrate.fleet import prepare

    m = _one(sorted(p.name for p in GOOD.glob("*.json"))[0])
    prepare.start(load_config(None))
    summary = prepare.prepare(m).summary_json()
    rules = json.loads(summary)[9]
    assert prepare.read_summary(m.name, summary, rules) is not None
    assert prepare.read_summary(m.name, summary.encode(), rules) is not None
    for damaged in ("", None, summary[:-1], summary + " ", " " + summary, summary + ", 1"):
        assert prepare.read_summary(m.name, damaged, rules) is None, damaged
    for damaged in ("[1, 2]", "{}", "[" + summary + "]", summary[:-1] + "]]"):
        assert prepare.read_summary(m.name, damaged, rules) is None, damaged
    assert prepare.read_summary(m.name, summary, "other-rules") is None
    # An infinity and a lone surrogate, as json.dumps writes them: read
    data = json.loads(summary)
    data[1], data[8] = "site-\ud800", float("inf")
    found = prepare.read_summary(m.name, json.dumps(data), rules)
    assert found is not None
    assert (found[0].site, found[1].transfer_hours) == ("site-\ud800", float("inf"))


def test_a_batch_gives_what_each_file_gives_alone(tmp_path: Path) -> None:
    """A batch is read, decoded and built stage by stage: each source still gets its own
    machines or its own error message, in order."""
    from sovmigrate.fleet.importer import _parse_batch, parse_one

    sources: list[tuple[str, str, bytes | str]] = []
    for path in [*sorted(GOOD.glob("*.json")), *sorted((DATA / "bad").glob("*.json"))]:
        sources.append((str(path), "json", str(path)))
    sources.insert(2, (str(tmp_path / "gone.json"), "json", str(tmp_path / "gone.json")))
    sources.insert(4, ("inline.json", "json", b"\xff\xfe not utf-8"))
    for path in sorted((DATA / "csv").glob("*.csv")):
        sources.insert(1, (str(path), "csv", str(path)))
    expected: list[tuple[str, object]] = []
    for name, kind, payload in sources:
        try:
            expected.append((name, parse_one(name, kind, payload)))
        except InvalidInventory as exc:
            expected.append((name, str(exc)))
    assert _parse_batch(sources) == expected
    assert sum(isinstance(r, str) for _, r in expected) >= 4


def test_worker_processes_prepare_the_same_machines(tmp_path: Path) -> None:
    """A large fleet is parsed, assessed and encoded in worker processes: same result as in
    process, duplicates merged the same way."""
    from sovmigrate.assess.config import load_config
    from sovmigrate.fleet.importer import prepare_fleet
    from sovmigrate.lab.fleetgen import write_fleet

    write_fleet(tmp_path / "fleet", 120, seed=3)
    for name in GOOD.glob("*.json"):  # a re-inventory among them: one duplicate
        (tmp_path / "fleet" / name.name).write_bytes(name.read_bytes())
    config = load_config(None)
    alone = prepare_fleet([tmp_path / "fleet"], config, workers=1)
    pooled = prepare_fleet([tmp_path / "fleet"], config, workers=2)
    assert (pooled.files, pooled.duplicates) == (alone.files, alone.duplicates) == (125, 1)
    assert pooled.machines == alone.machines
    assert {m.status for m in pooled.machines} == {"ready", "needs-action", "blocked"}
    lyon = next(m for m in pooled.machines if m.name == "LYON-OLD-0042")
    assert lyon.status == "blocked"
    assert json.loads(lyon.summary_json())[6] == "blocked"


def test_installations_as_agents_write_them() -> None:
    """Missing publishers, numeric versions, untitled entries, duplicates: read the same way
    the first time and the second (when the raw entry is remembered); bad text is named."""
    doc = json.loads((GOOD / "paris-latitude-5420.json").read_text())
    doc["content"]["softwares"] = [
        {"name": " 7-Zip 23.01 ", "publisher": None, "version": 2301},
        {"name": "", "publisher": ["not", "read"], "version": "1"},
        {"name": "7-Zip 23.01", "version": "23.01"},  # same title and publisher: kept once
        {"name": "Notepad++", "publisher": "Notepad++ Team", "version": "8.6"},
    ]
    for _ in range(2):
        m = parse_glpi(doc, "x.json")
        assert [(s.name, s.publisher, s.version) for s in m.softwares] == [
            ("7-Zip 23.01", "", "2301"),
            ("Notepad++", "Notepad++ Team", "8.6"),
        ]
    doc["content"]["softwares"].append({"name": ["a list"], "publisher": "P"})
    with pytest.raises(InvalidInventory, match=r"x.json: content.softwares\[4\].name"):
        parse_glpi(doc, "x.json")


def test_files_read_whole_and_their_errors(tmp_path: Path) -> None:
    """The import's reading gives ``open(path, "rb").read()`` and names an unreadable file."""
    import os
    import threading

    from sovmigrate.fleet.importer import _read

    sizes = {"empty": 0, "small": 10, "big": 300_000}  # bigger than one read after the first
    for name, size in sizes.items():
        (tmp_path / name).write_bytes(os.urandom(size))
        assert _read(name, str(tmp_path / name)) == (tmp_path / name).read_bytes()
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    data = b'{"deviceid": "x"}' * 10_000
    writer = threading.Thread(target=fifo.write_bytes, args=(data,))
    writer.start()
    assert _read("fifo.json", str(fifo)) == data  # a pipe: its size says nothing
    writer.join()
    for path, why in ((tmp_path, "Is a directory"), (tmp_path / "none", "No such file")):
        with pytest.raises(InvalidInventory, match=rf"^x\.json: unreadable \({why}"):
            _read("x.json", str(path))


def test_remembered_installations_keep_each_file_s_types() -> None:
    """The cache of raw installations across machines: 1, 1.0 and true are one dict key, not
    the same text (a number is written as text, a boolean refused); network cards alike."""
    from sovmigrate.fleet.glpi_devices import network_cards, softwares

    assert [s.name for s in softwares([{"name": 1, "publisher": "p"}], "a")] == ["1"]
    assert [s.name for s in softwares([{"name": 1.0, "publisher": "p"}], "b")] == ["1.0"]
    with pytest.raises(InvalidInventory, match=r"^c: content\.softwares\[0\]\.name: expected"):
        softwares([{"name": True, "publisher": "p"}], "c")
    card = {"type": 1, "pciid": "8086:24fd", "description": "x"}
    assert network_cards([card], "d", ())[0][0].kind == "1"
    with pytest.raises(InvalidInventory, match=r"^e: content\.networks\[0\]\.type: expected"):
        network_cards([{**card, "type": True}], "e", ())


def test_a_size_beyond_a_double_is_refused_in_one_line(tmp_path: Path) -> None:
    """An integer too large for a float (JSON allows any) is refused like any bad size."""
    doc = json.loads((GOOD / "paris-latitude-5420.json").read_text())
    doc["content"]["hardware"]["memory"] = 10**400
    path = tmp_path / "huge.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(InvalidInventory) as refused:
        load_fleet([path])
    assert str(refused.value) == (f"{path}: content.hardware.memory: too large a number for a size")


def test_a_number_too_long_to_read_is_refused_in_one_line(tmp_path: Path) -> None:
    """json.loads refuses integers of more than 4,300 digits with a plain ValueError."""
    path = tmp_path / "long.json"
    path.write_text('{"deviceid": "x", "junk": ' + "9" * 5000 + ', "content": {}}')
    with pytest.raises(InvalidInventory) as refused:
        load_fleet([path])
    assert str(refused.value) == f"{path}: malformed JSON (a number too long to read)"
