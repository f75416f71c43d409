"""Every role's README variables table matches its argument_specs (scripts/role_readme.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
ROLES = (
    sorted(p for p in (ROOT / "roles").iterdir() if p.is_dir()) if (ROOT / "roles").is_dir() else []
)


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "role_readme", ROOT / "scripts" / "role_readme.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["role_readme"] = module
    spec.loader.exec_module(module)
    return module


GEN = _load_generator()


@pytest.mark.parametrize("role", ROLES, ids=[r.name for r in ROLES])
def test_role_readme_is_generated_from_its_argument_specs(role: Path) -> None:
    assert (role / "meta" / "argument_specs.yml").is_file(), f"{role.name}: no argument_specs"
    readme = role / "README.md"
    assert readme.is_file(), f"run: python scripts/role_readme.py roles/{role.name}"
    assert readme.read_text(encoding="utf-8") == GEN.expected_readme(role), (
        f"{readme} is stale; run: python scripts/role_readme.py roles/{role.name}"
    )


def _fake_role(tmp_path: Path, description: str) -> Path:
    role = tmp_path / "demo_role"
    (role / "meta").mkdir(parents=True, exist_ok=True)
    (role / "meta" / "argument_specs.yml").write_text(
        "argument_specs:\n"
        "  main:\n"
        "    short_description: Demo role.\n"
        "    options:\n"
        "      demo_role_items:\n"
        "        type: list\n"
        "        elements: dict\n"
        f"        description: {description}\n"
        "        default: [{name: a, packages: [b]}]\n"
        "        options:\n"
        "          name: {type: str, required: true, description: Shown name.}\n"
        "      demo_role_mode:\n"
        "        type: str\n"
        "        default: full\n"
        "        choices: [full, minimal]\n"
        "        description: A choice with a | pipe.\n",
        encoding="utf-8",
    )
    return role


def test_generator_writes_table_then_check_passes_and_keeps_hand_written_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    role = _fake_role(tmp_path, "Items to install.")
    assert GEN.main([str(role)]) == 0
    text = (role / "README.md").read_text(encoding="utf-8")
    assert text.startswith("# demo_role\n")
    assert (
        '| `demo_role_items` | list of dict | no | `[{"name": "a", "packages": ["b"]}]` |' in text
    )
    assert "| `demo_role_items[].name` | str | yes |" in text
    assert '`"full"`, `"minimal"`' in text
    assert "A choice with a \\| pipe." in text
    # Hand-written text around the markers survives a regeneration.
    (role / "README.md").write_text(text + "\n## Example\n\nkept\n", encoding="utf-8")
    assert GEN.main([str(role)]) == 0
    assert "## Example\n\nkept" in (role / "README.md").read_text(encoding="utf-8")
    assert GEN.main(["--check", str(role)]) == 0


def test_check_mode_reports_stale_readme_without_writing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    role = _fake_role(tmp_path, "Items to install.")
    GEN.main([str(role)])
    _fake_role(tmp_path, "Items to install, now documented differently.")
    before = (role / "README.md").read_text(encoding="utf-8")
    assert GEN.main(["--check", str(role)]) == 1
    assert "out of date" in capsys.readouterr().out
    assert (role / "README.md").read_text(encoding="utf-8") == before


def test_missing_argument_specs_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "bare").mkdir()
    assert GEN.main([str(tmp_path / "bare")]) == 2
