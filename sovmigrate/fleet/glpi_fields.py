"""Readers of a GLPI inventory's fields: each returns the value or raises ``InvalidInventory``
naming the file and the field (``content.softwares[3].name``)."""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from typing import Any

from sovmigrate.errors import UsageError

HEX4 = re.compile(r"^[0-9a-fA-F]{4}$")


class InvalidInventory(UsageError):
    """A file that cannot be imported; the message names the file and the field."""


def fail(source: str, where: str, why: str) -> InvalidInventory:
    return InvalidInventory(f"{source}: {where}: {why}")


# Fast paths test ``type(x) is dict`` first: json.loads only makes dicts, lists, str, int,
# float, bool and None, and the abc checks of ``isinstance(x, Mapping)`` cost a third of the
# parse time on 80,000 inventories.


def obj(value: Any, source: str, where: str) -> Mapping[str, Any]:
    if type(value) is dict:
        return value
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise fail(source, where, f"expected an object, found {type(value).__name__}")
    return value


def items(value: Any, source: str, where: str) -> list[Mapping[str, Any]]:
    if value is None:
        return []
    if type(value) is dict:  # some converters emit a lone object for a one-item list
        return [value]
    # set(map(type, ...)) runs in C: a third of the cost of all(... for v in value).
    if type(value) is not list or (value and set(map(type, value)) != _DICT_ONLY):
        raise fail(source, where, "expected a list of objects")
    return value


_DICT_ONLY = {dict}


def text(value: Any, source: str, where: str) -> str:
    kind = type(value)
    if kind is str:
        return value.strip()  # an exact str: no str() call needed
    if value is None:
        return ""
    if kind is int or kind is float:
        return str(value)
    raise fail(source, where, f"expected text, found {kind.__name__}")


def word(value: Any, source: str, where: str) -> str:
    """Text repeated across the fleet (titles, publishers): interned, stored once."""
    return sys.intern(text(value, source, where))


def num(value: Any, source: str, where: str) -> float:
    kind = type(value)
    if kind is int or kind is float:
        try:
            number = float(value)
        except OverflowError:  # an integer beyond a double's range
            raise fail(source, where, "too large a number for a size") from None
    elif value is None or value == "":
        return 0.0
    elif kind is str:
        try:
            number = float(value.strip().replace(",", "."))
        except ValueError:
            raise fail(source, where, f"{value!r} is not a number") from None
    elif kind is bool:
        raise fail(source, where, "expected a number, found a boolean")
    else:
        raise fail(source, where, f"expected a number, found {kind.__name__}")
    if number != number or number < 0 or number == float("inf"):
        raise fail(source, where, f"{value!r} is not a size")
    return number
