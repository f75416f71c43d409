"""The import's JSON encoders give json.dumps's text byte for byte (the stored facts and
summaries must not change with the way they are encoded)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from sovmigrate.fleet.jsontext import dumps, dumps_str

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
