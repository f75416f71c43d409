"""What a check sees: the machine (a testinfra Host) and what it is expected to hold.

Expectations come, in increasing priority, from: built-in defaults mirroring the roles' defaults
(``defaults.py``), the files the roles wrote on the machine (``/etc/sovmigrate/postcheck.d/
<role>.json``: the values of the run that configured it), and the caller's overrides
(``--expect FILE`` or the postcheck role's ``postcheck_expectations``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sovmigrate.postcheck.defaults import DEFAULT_EXPECTATIONS

MANIFEST_DIR = "/etc/sovmigrate/postcheck.d"


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Recursive dict merge; lists and scalars of ``override`` replace those of ``base``."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


@dataclass
class Context:
    host: Any  # testinfra.host.Host; untyped upstream
    overrides: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def manifests(self) -> dict[str, dict[str, Any]]:
        """The expectation files the roles left on the machine, by role name."""
        found: dict[str, dict[str, Any]] = {}
        listing = self.host.run(f"ls -1 {MANIFEST_DIR}/*.json 2>/dev/null")
        for path in listing.stdout.split():
            try:
                found[path.rsplit("/", 1)[-1].removesuffix(".json")] = json.loads(
                    self.host.file(path).content_string
                )
            except json.JSONDecodeError:
                found[path.rsplit("/", 1)[-1].removesuffix(".json")] = {"_invalid": path}
        return found

    def expected(self, role: str) -> dict[str, Any]:
        base = DEFAULT_EXPECTATIONS.get(role, {})
        return merge(merge(base, self.manifests.get(role, {})), self.overrides.get(role, {}))

    @cached_property
    def in_container(self) -> bool:
        # Kernel settings belong to the host in a container: only per-namespace ones are checked.
        return self.host.run("systemd-detect-virt --container").rc == 0

    def installed_version(self, package: str) -> str | None:
        out = self.host.run(f"dpkg-query -W -f='${{Status}}|${{Version}}' {package}")
        if out.rc != 0 or "installed|" not in out.stdout or "not-installed" in out.stdout:
            return None
        return str(out.stdout.split("|", 1)[1])

    def missing_packages(self, packages: list[str]) -> list[str]:
        return [p for p in packages if self.installed_version(p) is None]

    def read(self, path: str) -> str | None:
        f = self.host.file(path)
        return str(f.content_string) if f.exists else None
