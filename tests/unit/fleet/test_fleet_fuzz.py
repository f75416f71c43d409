"""Mutated inventories never raise anything but a one-line InvalidInventory (no traceback)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sovmigrate.fleet.csvfmt import parse_csv
from sovmigrate.fleet.glpi import InvalidInventory
from sovmigrate.fleet.importer import parse_one

GOOD = Path(__file__).parents[2] / "data" / "glpi" / "good" / "paris-latitude-5420.json"
BASE = json.loads(GOOD.read_text())
VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)  # fmt: skip


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, (*prefix, i))
    return out


PATHS = _paths(BASE)[1:]


def _mutate(path: tuple[Any, ...], value: Any, delete: bool) -> Any:
    doc = json.loads(json.dumps(BASE))
    node = doc
    for key in path[:-1]:
        node = node[key]
    if delete and isinstance(node, dict):
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return doc


def _check(data: bytes, kind: str) -> None:
    try:
        parse_one("fuzz.json", kind, data)
    except InvalidInventory as exc:
        text = str(exc)
        assert text.startswith("fuzz.json") and "\n" not in text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PATHS), VALUES, st.booleans())
def test_mutated_fields(path: tuple[Any, ...], value: Any, delete: bool) -> None:
    _check(json.dumps(_mutate(path, value, delete)).encode(), "json")


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=len(GOOD.read_bytes())), st.binary(max_size=8))
def test_mutated_bytes(cut: int, junk: bytes) -> None:
    raw = GOOD.read_bytes()
    _check(raw[:cut] + junk + raw[cut:], "json")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_random_csv(text: str) -> None:
    try:
        parse_csv(("name,site,ram_mb,pci_ids,arch\n" + text).encode(), "fuzz.json")
    except InvalidInventory as exc:
        assert "\n" not in str(exc)
