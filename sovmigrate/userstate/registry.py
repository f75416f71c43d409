"""Read registry hives with python3-hivex (Debian package), decoding values ourselves.

Key lookups are case-insensitive, as on Windows. A hive hivex cannot parse is a bad input:
the error names the file.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

from sovmigrate.errors import EnvironmentProblem, UsageError

REG_SZ, REG_EXPAND_SZ, REG_BINARY, REG_DWORD, REG_MULTI_SZ = 1, 2, 3, 4, 7


def _decode(kind: int, data: bytes) -> Any:
    if kind in (REG_SZ, REG_EXPAND_SZ):
        text = data.decode("utf-16-le", errors="replace")
        return text.split("\0", 1)[0]
    if kind == REG_MULTI_SZ:
        return [s for s in data.decode("utf-16-le", errors="replace").split("\0") if s]
    if kind == REG_DWORD and len(data) >= 4:
        return struct.unpack_from("<I", data)[0]
    return data


class Hive:
    """A read-only hive; ``label`` names it in error messages ("SOFTWARE hive")."""

    def __init__(self, path: Path, label: str) -> None:
        try:
            import hivex
        except ImportError as exc:
            raise EnvironmentProblem(
                "python3-hivex is missing: apt-get install python3-hivex "
                "(and run with Debian's /usr/bin/python3)"
            ) from exc

        class _Hivex(hivex.Hivex):
            # hivex's __del__ assumes the open succeeded; on a corrupt file it would print
            # a traceback at exit instead of our one line.
            def __del__(self) -> None:
                if hasattr(self, "_o"):
                    super().__del__()

        self.path = path
        self.label = label
        try:
            self._h = _Hivex(str(path))
            self._root = self._h.root()
        except (RuntimeError, OSError) as exc:
            raise UsageError(f"corrupt registry hive: {label} ({path.name}): {exc}") from exc

    def key(self, path: str) -> int | None:
        node = self._root
        for part in [p for p in path.split("\\") if p]:
            wanted = part.lower()
            found = None
            for child in self._h.node_children(node):
                if self._h.node_name(child).lower() == wanted:
                    found = child
                    break
            if found is None:
                return None
            node = found
        return node

    def subkeys(self, path: str) -> list[str]:
        node = self.key(path)
        return [] if node is None else [self._h.node_name(c) for c in self._h.node_children(node)]

    def values(self, path: str) -> dict[str, Any]:
        node = self.key(path)
        if node is None:
            return {}
        out = {}
        for value in self._h.node_values(node):
            kind, data = self._h.value_value(value)
            out[self._h.value_key(value)] = _decode(kind, data)
        return out

    def value(self, path: str, name: str) -> Any:
        for key, val in self.values(path).items():
            if key.lower() == name.lower():
                return val
        return None
