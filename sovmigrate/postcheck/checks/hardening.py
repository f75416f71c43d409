"""hardening: one check per BP-028 rule the role applied, named ``hardening:R<n>``.

A rule the role did not apply (level, hardening_rules_disabled) is reported as skipped.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from typing import Any

from sovmigrate.postcheck.bp028 import BY_NUMBER, SYSCTL_RULES
from sovmigrate.postcheck.context import Context
from sovmigrate.postcheck.model import Outcome, expect, failed, passed, skipped
from sovmigrate.postcheck.registry import check

ROLE = "hardening"
RuleFn = Callable[[Context, dict[str, Any]], Outcome]


def rule(number: str) -> Callable[[RuleFn], RuleFn]:
    """Register a check for ``number`` that runs only when the role applied that rule."""

    def wrap(fn: RuleFn) -> RuleFn:
        def run(ctx: Context) -> Outcome:
            exp = ctx.expected(ROLE)
            if not exp.get("rules"):
                return failed("no /etc/sovmigrate/postcheck.d/hardening.json: role not applied")
            if number not in exp["rules"]:
                return skipped(f"not applied (level {exp.get('level')}, disabled or not in level)")
            return fn(ctx, exp)

        run.__doc__ = f"{number} {BY_NUMBER[number].title}"
        check(f"hardening:{number}", ROLE)(run)
        return fn

    return wrap


def _lines(ctx: Context, cmd: str) -> list[str]:
    return [line for line in ctx.host.run(cmd).stdout.splitlines() if line.strip()]


@rule("R30")
def r30(ctx: Context, exp: dict[str, Any]) -> Outcome:
    empty = _lines(ctx, "awk -F: '$2 == \"\" {print $1}' /etc/shadow")
    return expect(not empty, "no account without password", f"empty passwords: {empty}")


@rule("R31")
def r31(ctx: Context, exp: dict[str, Any]) -> Outcome:
    if ctx.installed_version("libpam-pwquality") is None:
        return failed("libpam-pwquality is not installed")
    if "pam_pwquality" not in (ctx.read("/etc/pam.d/common-password") or ""):
        return failed("pam_pwquality is not in /etc/pam.d/common-password")
    conf = _lines(ctx, "cat /etc/security/pwquality.conf.d/*.conf 2>/dev/null")
    minlen = [int(x.split("=")[1]) for x in conf if x.replace(" ", "").startswith("minlen=")]
    want = int(exp.get("password_minlen", 15))
    return expect(bool(minlen) and minlen[-1] >= want, f"minlen {want}", f"minlen {minlen}")


@rule("R53")
def r53(ctx: Context, exp: dict[str, Any]) -> Outcome:
    found = _lines(ctx, "find / -xdev \\( -nouser -o -nogroup \\) -print 2>/dev/null | head -5")
    return expect(not found, "none", f"without owner: {found}")


@rule("R54")
def r54(ctx: Context, exp: dict[str, Any]) -> Outcome:
    cmd = "find / -xdev -type d -perm -0002 ! -perm -1000 -print 2>/dev/null | head -5"
    found = _lines(ctx, cmd)
    return expect(not found, "none", f"world-writable without sticky bit: {found}")


@rule("R56")
def r56(ctx: Context, exp: dict[str, Any]) -> Outcome:
    cmd = (
        "find / -xdev -type f -perm /6000 -print 2>/dev/null | "
        'while read -r f; do dpkg -S "$f" >/dev/null 2>&1 || echo "$f"; done'
    )
    found = _lines(ctx, cmd)
    return expect(not found, "all from packages", f"setuid/setgid outside packages: {found}")


def _absent(ctx: Context, exp: dict[str, Any]) -> Outcome:
    present = [p for p in exp.get("forbidden_packages", []) if ctx.installed_version(p)]
    return expect(not present, "none installed", f"installed: {present}")


@rule("R58")
def r58(ctx: Context, exp: dict[str, Any]) -> Outcome:
    return _absent(ctx, exp)


@rule("R62")
def r62(ctx: Context, exp: dict[str, Any]) -> Outcome:
    return _absent(ctx, exp)


@rule("R59")
def r59(ctx: Context, exp: dict[str, Any]) -> Outcome:
    sources = "/etc/apt/sources.list /etc/apt/sources.list.d"
    trusted = _lines(ctx, f"grep -rlsE 'trusted=yes|Trusted:\\s*yes' {sources}")
    if trusted:
        return failed(f"unsigned repositories trusted in {trusted}")
    dump = ctx.host.run("apt-config dump").stdout
    return expect(
        'Acquire::AllowInsecureRepositories "false"' in dump,
        "signed repositories only",
        "Acquire::AllowInsecureRepositories is not false",
    )


@rule("R61")
def r61(ctx: Context, exp: dict[str, Any]) -> Outcome:
    if ctx.installed_version("unattended-upgrades") is None:
        return failed("unattended-upgrades is not installed")
    dump = ctx.host.run("apt-config dump APT::Periodic").stdout
    ok = 'APT::Periodic::Unattended-Upgrade "1"' in dump
    return expect(ok, "daily unattended upgrades", "APT::Periodic::Unattended-Upgrade is not 1")


@rule("R68")
def r68(ctx: Context, exp: dict[str, Any]) -> Outcome:
    method = _lines(ctx, "awk '$1 == \"ENCRYPT_METHOD\" {print $2}' /etc/login.defs")
    if method[-1:] not in (["YESCRYPT"], ["SHA512"]):
        return failed(f"ENCRYPT_METHOD is {method or 'unset'}")
    # MD5 ($1$) and DES (13 characters) hashes.
    weak_re = "$2 ~ /^\\$1\\$/ || $2 ~ /^[A-Za-z0-9.\\/]{13}$/"
    weak = _lines(ctx, f"awk -F: '{weak_re} {{print $1}}' /etc/shadow")
    return expect(not weak, f"ENCRYPT_METHOD {method[-1]}", f"weak password hashes: {weak}")


@rule("R80")
def r80(ctx: Context, exp: dict[str, Any]) -> Outcome:
    cmd = (
        'ss -Hlntu | awk \'{n = split($5, a, ":"); port = a[n]; '
        "addr = substr($5, 1, length($5) - length(port) - 1); "
        "if (addr !~ /^(127\\.|\\[::1\\]|::1|\\[::ffff:127\\.)/ && addr !~ /%lo$/ "
        # UDP sockets in the ephemeral range are clients (DNS, NTP, DHCP), not services.
        '&& !($1 == "udp" && port >= 32768)) '
        'print port "/" $1}\' | sort -u'
    )
    extra = [x for x in _lines(ctx, cmd) if x not in exp.get("allowed_listeners", [])]
    return expect(not extra, "only allowed listeners", f"unexpected listeners: {extra}")


def _sysctl(ctx: Context, exp: dict[str, Any], number: str) -> Outcome:
    settings: dict[str, Any] = exp.get("sysctl", {}).get(number, {})
    path = f"/etc/sysctl.d/60-sovmigrate-anssi-{number.lower()}.conf"
    text = ctx.read(path)
    if text is None:
        return failed(f"{path} is missing")
    conf = {
        k.strip(): " ".join(v.split())
        for k, _, v in (line.partition("=") for line in text.splitlines())
        if v and not k.strip().startswith("#")
    }
    wrong = [k for k, v in settings.items() if conf.get(k) != " ".join(str(v).split())]
    if wrong:
        return failed(f"{path}: wrong or missing {wrong}")
    # In a container only the network namespace's settings belong to the machine.
    runtime = [k for k in settings if not ctx.in_container or k.startswith("net.ipv")]
    for key in runtime:
        out = ctx.host.run(f"sysctl -n {shlex.quote(key)}")
        if out.rc == 0 and " ".join(out.stdout.split()) != " ".join(str(settings[key]).split()):
            wrong.append(f"{key}={out.stdout.strip()}")
    return expect(not wrong, f"{len(settings)} settings", f"running value differs: {wrong}")


def _sysctl_rule(number: str) -> RuleFn:
    def run(ctx: Context, exp: dict[str, Any]) -> Outcome:
        return _sysctl(ctx, exp, number)

    return run


for _number in SYSCTL_RULES:
    rule(_number)(_sysctl_rule(_number))


@rule("R32")
def r32(ctx: Context, exp: dict[str, Any]) -> Outcome:
    text = ctx.read("/etc/profile.d/sovmigrate-anssi-tmout.sh") or ""
    want = f"TMOUT={exp.get('shell_timeout', 600)}"
    return expect(want in text and "readonly TMOUT" in text, want, f"{want} not set read-only")


@rule("R33")
def r33(ctx: Context, exp: dict[str, Any]) -> Outcome:
    # sshd -T prints the effective value; it spells prohibit-password "without-password".
    want = {"prohibit-password": "without-password"}.get(
        exp.get("ssh_permit_root_login", "prohibit-password"), "no"
    )
    got = _lines(ctx, "sshd -T 2>/dev/null | awk '$1 == \"permitrootlogin\" {print $2}'")
    same = {"without-password": "prohibit-password"}
    if got[-1:] != [want] and got[-1:] != [same.get(want, want)]:
        return failed(f"sshd permitrootlogin is {got or 'unknown'}, expected {want}")
    return expect(ctx.installed_version("sudo") is not None, f"permitrootlogin {want}", "no sudo")


@rule("R39")
def r39(ctx: Context, exp: dict[str, Any]) -> Outcome:
    if ctx.host.run("visudo -c").rc != 0:
        return failed("visudo -c reports an invalid sudoers")
    text = ctx.host.run("cat /etc/sudoers /etc/sudoers.d/* 2>/dev/null").stdout
    missing = [d for d in ("use_pty", "env_reset", "ignore_dot") if d not in text]
    return expect(not missing, "use_pty env_reset ignore_dot", f"sudo Defaults missing: {missing}")


@rule("R42")
def r42(ctx: Context, exp: dict[str, Any]) -> Outcome:
    cmd = (
        "cat /etc/sudoers /etc/sudoers.d/* 2>/dev/null | grep -vE '^\\s*(#|Defaults|$)' "
        "| grep -E '=.*!'"
    )
    found = _lines(ctx, cmd)
    return expect(not found, "no negation", f"negated sudo rules: {found}")


@rule("R50")
def r50(ctx: Context, exp: dict[str, Any]) -> Outcome:
    wrong = []
    for spec in exp.get("sensitive_files", []):
        f = ctx.host.file(spec["path"])
        if not f.exists:
            continue
        mode = f"{f.mode:04o}"
        if (f.user, f.group, mode) != (spec["owner"], spec["group"], spec["mode"]):
            wrong.append(f"{spec['path']} {f.user}:{f.group} {mode}")
    keys = _lines(ctx, "find /etc/ssh -name 'ssh_host_*_key' ! -perm 0600")
    wrong += [f"{k} not 0600" for k in keys]
    return expect(not wrong, "sensitive files restricted", "; ".join(wrong))


@rule("R74")
def r74(ctx: Context, exp: dict[str, Any]) -> Outcome:
    if not ctx.host.file("/etc/postfix/main.cf").exists:
        return passed("no local mail server")
    got = ctx.host.run("postconf -h inet_interfaces").stdout.strip()
    return expect(got == "loopback-only", got, f"postfix inet_interfaces is {got}")
