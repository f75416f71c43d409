"""The docs say only what is true of the code: commands, links, the Vagrant files, the EE.

- Every ``sovmigrate ...`` command quoted in README.md and docs/ names a real command path of
  the click CLI, and every option it shows is an option of that command (with a valid value
  when the option has a fixed set of choices): a renamed command or option fails here.
- Every relative link in README.md and docs/ resolves to a file (and a heading, for anchors).
- docs/README.md indexes every guide; docs/formats.md indexes every JSON Schema.
- The Vagrantfile is valid Ruby, and loaded with a recording stand-in for Vagrant (a fake:
  no VM provider can run here) it defines what docs/pilot-guide.md says it does.
- The provisioning scripts pass ``bash -n`` and shellcheck.
- execution-environment.yml is accepted by ansible-builder, names files that exist, and
  carries the same version ranges and collections as the project.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from click.testing import CliRunner

from sovmigrate.cli import main

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def doc_files() -> list[Path]:
    return [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]


# --- Command lines ---------------------------------------------------------------------------

FENCE = re.compile(r"^(```|~~~)")
INLINE = re.compile(r"`([^`\n]+)`")
# Words a shell line may put before the program: `sudo`, `time`, VAR=value assignments.
PREFIX_WORDS = {"sudo", "time", "exec", "env", "nohup"}
SEPARATORS = {"|", "||", "&&", ";", "&", "(", ")"}


@dataclass(frozen=True)
class Quoted:
    source: str  # file:line
    words: tuple[str, ...]  # the words after `sovmigrate`

    def __str__(self) -> str:
        return f"{self.source}: sovmigrate {' '.join(self.words)}"


def _shell_words(text: str) -> list[str]:
    lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|()")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        return list(lexer)
    except ValueError:  # an unbalanced quote in prose: split on blanks instead
        return text.split()


def _commands_in(text: str, source: str) -> Iterator[Quoted]:
    """Each simple command of ``text`` whose program is sovmigrate (any path to it)."""
    words = _shell_words(text)
    start = 0
    for index in range(len(words) + 1):
        if index < len(words) and words[index] not in SEPARATORS:
            continue
        simple = words[start:index]
        start = index + 1
        while simple and (simple[0] in PREFIX_WORDS or re.match(r"^[A-Z_][A-Z0-9_]*=", simple[0])):
            simple = simple[1:]
        if simple and Path(simple[0]).name == "sovmigrate" and simple[0] != "sovmigrate/":
            yield Quoted(source, tuple(simple[1:]))


def quoted_commands(path: Path) -> list[Quoted]:
    found: list[Quoted] = []
    in_fence = False
    lines = path.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        line, number = lines[index], index + 1
        index += 1
        if FENCE.match(line.strip()):
            in_fence = not in_fence
            continue
        where = f"{path.relative_to(ROOT)}:{number}"
        if in_fence:
            text = re.sub(r"^\s*[$#]\s+", "", line)  # a shell prompt
            while text.endswith("\\") and index < len(lines):
                text = text[:-1] + " " + lines[index]
                index += 1
            found.extend(_commands_in(text, where))
        else:
            for span in INLINE.findall(line):
                found.extend(_commands_in(span, where))
    return found


def all_quoted() -> list[Quoted]:
    return [q for path in doc_files() for q in quoted_commands(path)]


def _placeholder(word: str) -> bool:
    """Synopsis notation: NAME, <name>, [OPTIONS], {a,b}, ..."""
    return bool(re.search(r"[<>\[\]{}|]|\.\.\.", word)) or (word.isupper() and len(word) > 1)


def resolve(words: tuple[str, ...]) -> tuple[list[str], list[click.Command]]:
    """The command path the words name, and the chain of click commands along it."""
    path: list[str] = []
    chain: list[click.Command] = [main]
    for word in words:
        command = chain[-1]
        if not isinstance(command, click.Group) or word.startswith("-") or _placeholder(word):
            break
        context = click.Context(command)
        sub = command.get_command(context, word)
        if sub is None:
            names = ", ".join(command.list_commands(context))
            raise AssertionError(
                f"`{' '.join(['sovmigrate', *path, word])}`: no such command "
                f"(commands of `{' '.join(['sovmigrate', *path])}`: {names})"
            )
        path.append(word)
        chain.append(sub)
    return path, chain


def _options(chain: list[click.Command]) -> dict[str, click.Parameter]:
    options: dict[str, click.Parameter] = {"--help": main.params[0], "-h": main.params[0]}
    for command in chain:
        for param in command.get_params(click.Context(command)):
            if isinstance(param, click.Option):
                for name in (*param.opts, *param.secondary_opts):
                    options[name] = param
    return options


def check_quoted(quoted: Quoted) -> None:
    path, chain = resolve(quoted.words)
    options = _options(chain)
    words = list(quoted.words)
    for index, raw in enumerate(words):
        for token in re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)(?:=(\S+))?", raw):
            name, inline_value = token
            if name not in options:
                raise AssertionError(
                    f"{quoted}: `sovmigrate {' '.join(path)}` has no option {name}"
                )
            param = options[name]
            value = inline_value or (words[index + 1] if index + 1 < len(words) else "")
            if (
                isinstance(param.type, click.Choice)
                and raw.startswith(name)
                and value
                and not _placeholder(value)
                and value.strip("[]") not in param.type.choices
            ):
                raise AssertionError(
                    f"{quoted}: {name} {value!r} is not one of {list(param.type.choices)}"
                )
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, f"{quoted}: `sovmigrate {' '.join(path)} --help` failed"


def test_docs_quote_commands_at_all() -> None:
    # Guards the extraction itself: the pilot guide is made of sovmigrate commands.
    quoted = [q for q in all_quoted() if q.source.startswith("docs/pilot-guide.md")]
    assert len(quoted) >= 10, quoted


@pytest.mark.parametrize("quoted", all_quoted(), ids=str)
def test_quoted_command_exists(quoted: Quoted) -> None:
    check_quoted(quoted)


@pytest.mark.parametrize(
    "line",
    [
        "sovmigrate wave launch pilot",  # no such subcommand
        "sovmigrate status pilot --format html",  # not one of its choices
        "sovmigrate report pilot --langue en",  # no such option
        "sovmigrate lab demo --machine 2",  # misspelt option
    ],
)
def test_a_wrong_command_is_caught(line: str) -> None:
    (quoted,) = list(_commands_in(line, "example"))
    with pytest.raises(AssertionError):
        check_quoted(quoted)


def test_extraction_reads_shell_lines() -> None:
    text = "SOVMIGRATE_DB=x sudo .venv/bin/sovmigrate wave run w1 --forks 5 | tee log  # comment"
    (quoted,) = list(_commands_in(text, "example"))
    assert quoted.words == ("wave", "run", "w1", "--forks", "5")
    assert not list(_commands_in("ls sovmigrate/lab/windisk/", "example"))


# --- Links -----------------------------------------------------------------------------------

LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def _prose(text: str) -> str:
    """The text outside fenced code blocks and inline code."""
    kept, in_fence = [], False
    for line in text.splitlines():
        if FENCE.match(line.strip()):
            in_fence = not in_fence
            continue
        if not in_fence:
            kept.append(INLINE.sub("", line))
    return "\n".join(kept)


def slug(heading: str) -> str:
    """GitHub's anchor of a heading."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    kept, in_fence = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line.strip()):
            in_fence = not in_fence
        elif not in_fence:
            kept.append(line)
    return {slug(m.group(1)) for m in re.finditer(r"^#+\s+(.*)$", "\n".join(kept), re.M)}


def relative_links() -> list[tuple[Path, str]]:
    links = []
    for path in doc_files():
        for target in LINK.findall(_prose(path.read_text(encoding="utf-8"))):
            if not re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:...
                links.append((path, target))
    return links


@pytest.mark.parametrize(
    "link", relative_links(), ids=lambda x: f"{x[0].relative_to(ROOT)}->{x[1]}"
)
def test_relative_link_resolves(link: tuple[Path, str]) -> None:
    check_link(*link)


def check_link(path: Path, target: str) -> None:
    file_part, _, anchor = target.partition("#")
    resolved = (path.parent / file_part).resolve() if file_part else path
    assert resolved.exists(), f"{path.name}: link to {target}: no such file"
    if anchor and resolved.suffix == ".md":
        assert anchor in anchors(resolved), f"{path.name}: no heading #{anchor}"


@pytest.mark.parametrize("target", ["missing.md", "guide.md#no-such-heading", "#nowhere"])
def test_a_broken_link_is_caught(tmp_path: Path, target: str) -> None:
    (tmp_path / "guide.md").write_text("# Guide\n\n## Run `sovmigrate` twice\n")
    page = tmp_path / "page.md"
    page.write_text(f"# Page\n\nSee [it]({target}).\n")
    (found,) = LINK.findall(page.read_text())
    with pytest.raises(AssertionError):
        check_link(page, found)
    check_link(page, "guide.md#run-sovmigrate-twice")  # a heading with code: GitHub's anchor


def test_link_check_sees_links() -> None:
    assert any(p.name == "README.md" and p.parent == DOCS for p, _ in relative_links())


def _linked(index: Path) -> set[Path]:
    targets = LINK.findall(_prose(index.read_text(encoding="utf-8")))
    return {(index.parent / t.partition("#")[0]).resolve() for t in targets}


def test_docs_index_lists_every_guide() -> None:
    index = DOCS / "README.md"
    linked = _linked(index)
    guides = [p for p in sorted(DOCS.glob("*.md")) if p != index]
    missing = [p.name for p in guides if p.resolve() not in linked]
    assert not missing, f"docs/README.md does not link {missing}: add them to the index"


def test_formats_index_lists_every_schema() -> None:
    linked = _linked(DOCS / "formats.md")
    schemas = sorted((DOCS / "formats").glob("*.json"))
    assert schemas, "no JSON Schema under docs/formats/"
    missing = [p.name for p in schemas if p.resolve() not in linked]
    assert not missing, f"docs/formats.md does not link {missing}"


# --- Vagrant ---------------------------------------------------------------------------------

needs_ruby = pytest.mark.skipif(
    shutil.which("ruby") is None, reason="ruby missing: apt-get install ruby (requirements/apt.txt)"
)

# A stand-in for Vagrant (a fake, named as such): records every configuration call as JSON.
FAKE_VAGRANT = r"""
require "json"
class Recorder
  def initialize; @calls = []; @children = {}; end
  def method_missing(name, *args, **kw, &blk)
    n = name.to_s
    if n.end_with?("=")
      @calls << {"set" => n.chomp("="), "value" => args[0]}
      return args[0]
    end
    return (@children[n] ||= Recorder.new) if blk.nil? && args.empty? && kw.empty?
    entry = {"call" => n, "args" => args, "kw" => kw}
    if blk
      sub = Recorder.new
      blk.call(sub)
      entry["block"] = sub.to_h
    end
    @calls << entry
    nil
  end
  def respond_to_missing?(*) = true
  def to_h = {"calls" => @calls, "children" => @children.transform_values(&:to_h)}
end
module Vagrant
  def self.configure(version)
    root = Recorder.new
    yield root
    $configs << {"version" => version, "tree" => root.to_h}
  end
end
$configs = []
load ARGV[0]
puts JSON.generate($configs)
"""


def _calls(tree: dict[str, Any], *path: str) -> list[dict[str, Any]]:
    for name in path:
        tree = tree["children"].get(name, {"calls": [], "children": {}})
    return list(tree["calls"])


@pytest.fixture(scope="module")
def vagrant_config(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    # A copy: loading the Vagrantfile creates the controller's key pair under .vagrant/.
    work = tmp_path_factory.mktemp("vagrant")
    shutil.copy(ROOT / "Vagrantfile", work / "Vagrantfile")
    shutil.copytree(ROOT / "vagrant", work / "vagrant")
    (work / "fake_vagrant.rb").write_text(FAKE_VAGRANT)
    # The store key made beforehand (the Vagrantfile reuses an existing pair): RSA generation in
    # Ruby takes seconds, and the controller key below already exercises it.
    keys = work / ".vagrant" / "sovmigrate"
    keys.mkdir(parents=True)
    store = keys / "store_key"
    subprocess.run(
        [*("ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "", "-f"), str(store)],
        check=True,
    )
    done = subprocess.run(
        ["ruby", str(work / "fake_vagrant.rb"), str(work / "Vagrantfile")],
        capture_output=True,
        text=True,
        check=False,
        cwd=work,
        env={"PATH": "/usr/bin:/bin", "HOME": str(work)},
    )
    assert done.returncode == 0, done.stderr
    (config,) = json.loads(done.stdout)
    config["work"] = str(work)
    return config


def _machines(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        c["args"][0]: c["block"] for c in _calls(config["tree"], "vm") if c.get("call") == "define"
    }


@needs_ruby
def test_vagrantfile_is_valid_ruby() -> None:
    done = subprocess.run(["ruby", "-c", str(ROOT / "Vagrantfile")], capture_output=True, text=True)
    assert done.returncode == 0 and "Syntax OK" in done.stdout, done.stderr


@needs_ruby
def test_vagrantfile_defines_a_debian_13_controller_and_workstation(
    vagrant_config: dict[str, Any],
) -> None:
    tree = vagrant_config["tree"]
    box = {c["set"]: c["value"] for c in _calls(tree, "vm") if "set" in c}["box"]
    assert box == "debian/trixie64"  # Debian 13
    machines = _machines(vagrant_config)
    assert set(machines) == {"controller", "workstation"}
    ips = {}
    for name, block in machines.items():
        networks = [c for c in _calls(block, "vm") if c.get("call") == "network"]
        (private,) = [n for n in networks if n["args"] == ["private_network"]]
        ips[name] = private["kw"]["ip"]
    assert ips["controller"] != ips["workstation"]
    assert ips["controller"].rsplit(".", 1)[0] == ips["workstation"].rsplit(".", 1)[0]


@needs_ruby
def test_vagrant_workstation_has_an_extra_disk_for_each_provider(
    vagrant_config: dict[str, Any],
) -> None:
    ws = _machines(vagrant_config)["workstation"]
    vm_calls = _calls(ws, "vm")
    assert [c for c in vm_calls if c.get("call") == "disk" and c["args"][0] == "disk"]  # VirtualBox
    (libvirt,) = [c for c in vm_calls if c.get("call") == "provider" and c["args"] == ["libvirt"]]
    storage = [c for c in libvirt["block"]["calls"] if c.get("call") == "storage"]
    assert storage and storage[0]["kw"]["serial"] == "sovmigrate-windows"
    workstation_sh = (ROOT / "vagrant" / "workstation.sh").read_text()
    assert "virtio-sovmigrate-windows" in workstation_sh  # the serial the script looks for


@needs_ruby
def test_vagrant_provisioning_scripts_exist_and_keys_match(
    vagrant_config: dict[str, Any],
) -> None:
    machines = _machines(vagrant_config)
    provisions = {
        name: [c for c in _calls(block, "vm") if c.get("call") == "provision"]
        for name, block in machines.items()
    }
    for name, calls in provisions.items():
        scripts = [c["kw"]["path"] for c in calls if c["args"] == ["shell"]]
        assert scripts, f"{name} has no shell provisioning"
        for script in scripts:
            assert (ROOT / script).is_file(), f"{name}: {script} missing"
    # The controller receives the private key whose public half the workstation authorizes.
    (upload,) = [c for c in provisions["controller"] if c["args"] == ["file"]]
    (ws_shell,) = [c for c in provisions["workstation"] if c["args"] == ["shell"]]
    derived = subprocess.run(
        ["ssh-keygen", "-y", "-f", upload["kw"]["source"]], capture_output=True, text=True
    )
    assert derived.returncode == 0, derived.stderr
    authorized = ws_shell["kw"]["env"]["SOVMIGRATE_CONTROLLER_KEY"]
    assert derived.stdout.split()[:2] == authorized.split()[:2]
    assert Path(upload["kw"]["source"]).stat().st_mode & 0o077 == 0  # private key: owner only


@pytest.mark.parametrize("script", sorted((ROOT / "vagrant").glob("*.sh")), ids=lambda p: p.name)
def test_provisioning_script_is_clean_shell(script: Path) -> None:
    done = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck missing: apt-get install shellcheck (requirements/apt.txt)")
    done = subprocess.run(["shellcheck", str(script)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


# --- Execution environment -------------------------------------------------------------------

EE = ROOT / "execution-environment.yml"


def _ee() -> dict[str, Any]:
    data = yaml.safe_load(EE.read_text(encoding="utf-8"))
    assert isinstance(data, dict) and data.get("version") == 3
    return data


def _pyproject_dependency(name: str) -> str:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    (found,) = [d for d in deps if re.match(rf"^{re.escape(name)}[<>=!~ ]", d)]
    return found.replace(" ", "")


def test_execution_environment_names_existing_files() -> None:
    deps = _ee()["dependencies"]
    for key in ("python", "system", "galaxy"):
        if key in deps:
            assert (EE.parent / deps[key]).is_file(), f"{key}: {deps[key]} missing"
    assert (ROOT / "ee" / "requirements.yml").is_file()


def test_execution_environment_pins_the_tested_ranges() -> None:
    deps = _ee()["dependencies"]
    assert deps["ansible_core"]["package_pip"] == _pyproject_dependency("ansible-core")
    assert deps["ansible_runner"]["package_pip"] == _pyproject_dependency("ansible-runner")
    lines = (EE.parent / deps["python"]).read_text().splitlines()
    wanted = [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]
    assert _pyproject_dependency("ansible") in wanted


FQCN = re.compile(r"(?<![\w.])([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)\.[a-z_]")


def _used_collections() -> set[str]:
    """Collections named by FQCN in roles, playbooks and ansible.cfg (installed ones only:
    dotted sysctl keys such as net.core.x look the same)."""
    import ansible_collections

    installed = {
        f"{ns.name}.{coll.name}"
        for base in ansible_collections.__path__
        for ns in Path(base).iterdir()
        if ns.is_dir()
        for coll in ns.iterdir()
        if coll.is_dir()
    }
    texts = [(ROOT / "ansible.cfg").read_text()]
    for folder in ("roles", "playbooks"):
        texts += [p.read_text() for p in (ROOT / folder).rglob("*.yml")]
    used = set()
    for text in texts:
        for ns, coll in re.findall(
            r"(?<![\w.])([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)\.[a-z_]", text
        ):
            name = f"{ns}.{coll}"
            if name in installed and name != "ansible.builtin":
                used.add(name)
    return used


def test_galaxy_requirements_list_every_collection_used() -> None:
    listed = {
        c["name"]
        for c in yaml.safe_load((ROOT / "ee" / "requirements.yml").read_text())["collections"]
    }
    used = _used_collections()
    assert "ansible.posix" in used  # ansible.cfg's profile_tasks callback: the scan works
    assert used <= listed, f"ee/requirements.yml misses {sorted(used - listed)}"


def test_ansible_builder_accepts_the_definition(tmp_path: Path) -> None:
    builder = shutil.which("ansible-builder", path=str(Path(sys.executable).parent))
    if builder is None:
        pytest.skip("ansible-builder missing: ./scripts/bootstrap.sh installs it (dev extra)")
    done = subprocess.run(
        [builder, "create", "-f", str(EE), "-c", str(tmp_path / "context")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    copied = tmp_path / "context" / "_build"
    assert (copied / "requirements.txt").is_file() and (copied / "bindep.txt").is_file()
    # The package the roles' engine bundle is built from, laid out as an installable project.
    source = copied / "sovmigrate-src"
    assert (source / "pyproject.toml").is_file()
    assert (source / "sovmigrate" / "userstate" / "bundle.py").is_file()


def test_execution_environment_copies_files_that_exist() -> None:
    for item in _ee().get("additional_build_files", []):
        assert (EE.parent / item["src"]).exists(), f"additional_build_files: {item['src']} missing"
