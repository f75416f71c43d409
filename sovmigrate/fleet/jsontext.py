"""``json.dumps`` for the import's hot path, without its per-call set-up.

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
