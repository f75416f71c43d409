"""``json.dumps`` and ``json.loads`` for the import's hot path: the same results, faster.

``loads`` decodes with msgspec when it is installed (about twice as fast as ``json.loads`` on
4 KB inventories: 80,000 of them in ~1.9 s of CPU instead of ~3.7) and falls back to
``json.loads`` for anything msgspec refuses, so what is accepted, what it decodes to and the
errors raised are ``json.loads``'s (see ``loads``).

The encoders: ``json.dumps`` without its per-call set-up.

Each ``json.dumps`` call builds a ``JSONEncoder`` (when given ``default``) and, in
``iterencode``, a new C encoder with its cache of encoded keys. The import encodes two
documents per machine (facts and summary): that set-up was a third of each call's time (a
25-field dict like the facts: 10.9 us instead of 7.3; a 10-item list like the summary: 4.0 us
instead of 2.6). The encoders here are built once, with ``json.dumps``'s own settings, and
run the same C code, so the text is the same byte for byte. One difference: no check for
circular references (a cycle ends in ``RecursionError`` instead of ``ValueError``); what is
encoded here comes from parsed JSON and tuples, which hold none.
"""

from __future__ import annotations

import json
import json.encoder
from collections.abc import Callable
from json.encoder import encode_basestring_ascii
from typing import Any

try:
    from msgspec import MsgspecError as _Refused
    from msgspec.json import Decoder as _Decoder
except ImportError:  # pragma: no cover - msgspec is a dependency; json.loads alone then
    _fast_loads: Callable[[bytes], Any] | None = None
else:
    _fast_loads = _Decoder().decode


# The C encoder behind json.dumps (None without the _json accelerator); not in typeshed.
c_make_encoder: Any = getattr(json.encoder, "c_make_encoder", None)


def _encoder(default: Callable[[Any], Any] | None) -> Callable[[Any], str]:
    if c_make_encoder is None:  # a Python built without the _json accelerator
        return lambda value: json.dumps(value, default=default)
    encode = c_make_encoder(
        None,  # markers: no circular check (see above)
        default or json.JSONEncoder().default,  # the latter raises json.dumps's TypeError
        encode_basestring_ascii,  # ensure_ascii=True
        None,  # indent
        ": ",  # key separator
        ", ",  # item separator
        False,  # sort_keys
        False,  # skipkeys
        True,  # allow_nan
    )

    def dumps(value: Any) -> str:
        if isinstance(value, str):  # what JSONEncoder.encode does for a lone string
            return encode_basestring_ascii(value)
        return "".join(encode(value, 0))

    return dumps


dumps: Callable[[Any], str] = _encoder(None)
"""``json.dumps(value)``."""

dumps_str: Callable[[Any], str] = _encoder(str)
"""``json.dumps(value, default=str)``."""


def loads(data: bytes) -> Any:
    """``json.loads(data)``: the same value for every document it accepts, the same exception
    for every other, msgspec's decoder being tried first.

    Where msgspec decodes a document, it gives what ``json.loads`` gives (measured, and
    checked by tests/unit/fleet/test_jsontext.py): duplicate keys (the last wins), integers of
    any size, floats correctly rounded, escaped surrogate pairs. What it refuses goes to
    ``json.loads``, which accepts some of it (``NaN`` and ``Infinity``, numbers beyond a
    double's range read as infinity, lone surrogates, a UTF-8 byte order mark, UTF-16 and
    UTF-32 text) and words the error of the rest. (orjson, as fast, was not taken: it reads
    integers beyond 64 bits as floats.)
    """
    if _fast_loads is not None:
        try:
            return _fast_loads(data)
        except (_Refused, RecursionError):
            pass
    return json.loads(data)
