#!/usr/bin/env python3
"""Generate the variables section of a role's README.md from its meta/argument_specs.yml.

Usage:
    python scripts/role_readme.py roles/NAME [roles/OTHER ...]    rewrite the generated section
    python scripts/role_readme.py --check roles/NAME [...]        exit 1 if a README is stale
    python scripts/role_readme.py --all [--check]                 every role under roles/

Only the text between the two markers below is generated; everything else in the README is
hand-written and kept. A README without markers gets them appended (a new README gets a title and
the role's description first).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

BEGIN = "<!-- BEGIN generated from meta/argument_specs.yml by scripts/role_readme.py -->"
END = "<!-- END generated -->"
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Row:
    name: str
    type: str
    required: bool
    default: str
    choices: str
    description: str


def _cell(text: str) -> str:
    # A Markdown table cell cannot hold a newline or a bare pipe.
    return " ".join(text.split()).replace("|", "\\|")


def _code(value: Any) -> str:
    if value is None:
        return ""
    rendered = json.dumps(value, ensure_ascii=False, sort_keys=False)
    return "`" + rendered.replace("`", "'") + "`"


def _description(spec: dict[str, Any]) -> str:
    desc = spec.get("description", "")
    if isinstance(desc, list):
        desc = " ".join(str(part) for part in desc)
    return _cell(str(desc))


def _type(spec: dict[str, Any]) -> str:
    kind = str(spec.get("type", "str"))
    if kind == "list" and "elements" in spec:
        kind = f"list of {spec['elements']}"
    return kind


def _rows(options: dict[str, Any], prefix: str = "") -> list[Row]:
    rows: list[Row] = []
    for name, spec in options.items():
        spec = spec or {}
        full = f"{prefix}{name}"
        rows.append(
            Row(
                name=full,
                type=_type(spec),
                required=bool(spec.get("required", False)),
                default=_code(spec.get("default")),
                choices=", ".join(_code(c) for c in spec.get("choices", []) or []),
                description=_description(spec),
            )
        )
        # Sub-options of a list of dicts are written name[].sub, of a dict name.sub.
        sub = spec.get("options")
        if sub:
            sep = "[]." if spec.get("type") == "list" else "."
            rows.extend(_rows(sub, prefix=f"{full}{sep}"))
    return rows


def render_section(specs: dict[str, Any]) -> str:
    """The generated Markdown (markers included) for one argument_specs document."""
    lines = [BEGIN, ""]
    for entry, entry_spec in (specs.get("argument_specs") or {}).items():
        entry_spec = entry_spec or {}
        lines.append(f"### Entry point `{entry}`")
        lines.append("")
        summary = entry_spec.get("short_description")
        if summary:
            lines.extend([_cell(str(summary)), ""])
        rows = _rows(entry_spec.get("options") or {})
        if not rows:
            lines.extend(["This entry point takes no variables.", ""])
            continue
        lines.append("| Variable | Type | Required | Default | Choices | Description |")
        lines.append("|---|---|---|---|---|---|")
        for row in rows:
            lines.append(
                f"| `{row.name}` | {row.type} | {'yes' if row.required else 'no'} | "
                f"{row.default} | {row.choices} | {row.description} |"
            )
        lines.append("")
    lines.append(END)
    return "\n".join(lines) + "\n"


def load_specs(role: Path) -> dict[str, Any]:
    path = role / "meta" / "argument_specs.yml"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: missing (every role needs meta/argument_specs.yml)")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict) or "argument_specs" not in data:
        raise ValueError(f"{path}: no top-level 'argument_specs' mapping")
    return data


def expected_readme(role: Path) -> str:
    """The README text the role should have: current hand-written parts plus a fresh section."""
    specs = load_specs(role)
    section = render_section(specs)
    readme = role / "README.md"
    current = readme.read_text(encoding="utf-8") if readme.is_file() else ""
    if BEGIN in current and END in current:
        head, _, rest = current.partition(BEGIN)
        _, _, tail = rest.partition(END)
        return head + section.rstrip("\n") + tail
    if not current:
        main = (specs["argument_specs"] or {}).get("main") or {}
        intro = _description(main) or _cell(str(main.get("short_description", "")))
        current = f"# {role.name}\n\n{intro}\n"
    return current.rstrip("\n") + "\n\n## Variables\n\n" + section


def _roles_from_args(paths: list[str], every: bool) -> list[Path]:
    if every:
        return sorted(p for p in (ROOT / "roles").iterdir() if (p / "meta").is_dir())
    return [Path(p) for p in paths]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("roles", nargs="*", help="role directories (roles/NAME)")
    parser.add_argument("--check", action="store_true", help="report stale READMEs, write nothing")
    parser.add_argument("--all", action="store_true", help="every role under roles/")
    args = parser.parse_args(argv)
    roles = _roles_from_args(args.roles, args.all)
    if not roles:
        parser.error("name at least one role directory, or --all")
    stale = 0
    for role in roles:
        try:
            wanted = expected_readme(role)
        except (OSError, ValueError, yaml.YAMLError) as exc:
            print(f"role_readme: error: {exc}", file=sys.stderr)
            return 2
        readme = role / "README.md"
        current = readme.read_text(encoding="utf-8") if readme.is_file() else None
        if current == wanted:
            continue
        if args.check:
            stale += 1
            print(f"{readme}: out of date; run: python scripts/role_readme.py {role}")
        else:
            readme.write_text(wanted, encoding="utf-8")
            print(f"{readme}: written")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
