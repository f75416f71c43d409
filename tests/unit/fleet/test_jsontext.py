"""The import's JSON encoders give json.dumps's text byte for byte (the stored facts and
summaries must not change with the way they are encoded), and its decoder json.loads's values
and errors."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sovmigrate.fleet import jsontext
from sovmigrate.fleet.jsontext import dumps, dumps_str, loads

VALUES: list[Any] = [
    {"a": 1, "b": [1.5, None, True, False, "é\u2028\ud800"], "c": (1, 2), "d": {}},
    {"nan": float("nan"), "inf": float("-inf"), "big": 1e300, "neg": -0.0, "int": 10**30},
    {3: "x", None: 1, 2.5: "y", True: "z"},  # keys that are not text, as json.dumps writes them
    'a lone string "quoted"',
    [],
    0.1 + 0.2,
]


@pytest.mark.parametrize("value", VALUES)
def test_same_text_as_json_dumps(value: Any) -> None:
    assert dumps(value) == json.dumps(value)
    assert dumps_str(value) == json.dumps(value, default=str)


def test_default_str_and_the_same_error_without_it() -> None:
    value = {"when": dt.date(2026, 12, 7)}
    assert dumps_str(value) == json.dumps(value, default=str)
    with pytest.raises(TypeError) as ours:
        dumps(value)
    with pytest.raises(TypeError) as theirs:
        json.dumps(value)
    assert str(ours.value) == str(theirs.value)


# Documents where a fast decoder could part from json.loads: each must give json.loads's value
# (same types: 1 is not 1.0) or its exception with the same message.
DOCUMENTS = [
    b'{"a": 1, "a": 2}',  # duplicate keys: the last wins
    b'{"a": {"b": 1}, "a": {"c": 2}}',
    b"18446744073709551616",  # beyond 64 bits: still an int
    b"-9223372036854775809",
    b"1" + b"0" * 400,
    b"1" + b"0" * 5000,  # beyond Python's int digits limit: ValueError
    b"1e400",  # infinity for json.loads
    b"[1.7976931348623157e308, 1.7976931348623159e308, 4.9e-324, 1e-400, -0.0, -0]",
    b"1.0000000000000000000000000001",
    b"NaN",
    b"[Infinity, -Infinity]",
    b'"\\ud800"',  # a lone escaped surrogate
    b'{"\\udc00\\ud800": 1}',
    b'"\\ud83d\\ude00"',
    b'"\xed\xa0\x80"',  # a surrogate in UTF-8 bytes (json.loads decodes with surrogatepass)
    b'"\xff"',
    b'"\xc0\x80"',
    b"\xef\xbb\xbf{}",  # UTF-8 with a byte order mark
    '{"é": 1}'.encode("utf-16"),
    '{"é": 1}'.encode("utf-32-le"),
    b'{"a": 1}\x0c',
    b"{}garbage",
    b"[1,]",
    b'"a\x00"',
    b'"\t"',
    b"",
    b" \t\n\r{} \t\n\r",
    b"[" * 5000 + b"]" * 5000,
    b'{"a": [true, false, null, "\\u0000", "\\/"], "b": 1E2, "c": 0.1e1}',
]


def _outcome(decode: Any, data: bytes) -> tuple[str, str]:
    try:
        return "value", repr(decode(data))
    except Exception as exc:  # the exception is what is compared
        return type(exc).__name__, str(exc)


@pytest.mark.parametrize("data", DOCUMENTS, ids=range(len(DOCUMENTS)))
def test_loads_is_json_loads(data: bytes) -> None:
    assert _outcome(loads, data) == _outcome(json.loads, data)


@settings(max_examples=300, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=20,
    ),
    st.integers(min_value=0, max_value=200),
    st.binary(max_size=6),
)
def test_loads_is_json_loads_on_damaged_documents(value: Any, cut: int, junk: bytes) -> None:
    text = json.dumps(value).encode()
    assert _outcome(loads, text) == _outcome(json.loads, text)
    damaged = text[:cut] + junk + text[cut:]
    assert _outcome(loads, damaged) == _outcome(json.loads, damaged)


def test_loads_uses_the_fast_decoder() -> None:
    assert jsontext._fast_loads is not None  # msgspec installed, as pyproject.toml requires


def test_without_msgspec_json_loads_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where msgspec is missing, json.loads decodes everything."""
    from pathlib import Path

    good = Path(__file__).parents[2] / "data" / "glpi" / "good" / "paris-latitude-5420.json"
    data = good.read_bytes()
    monkeypatch.setattr(jsontext, "_fast_loads", None)
    assert loads(data) == json.loads(data)
    assert _outcome(loads, b"[1,]") == _outcome(json.loads, b"[1,]")
