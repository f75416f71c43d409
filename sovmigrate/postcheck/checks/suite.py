"""interministerial_suite: Tchap (pinned, held, handler, config, Secret Service), launchers,
WebRTC packages and endpoints, against what the role recorded on the machine."""

from __future__ import annotations

import json
import shlex

from sovmigrate.postcheck.context import MANIFEST_DIR, Context
from sovmigrate.postcheck.model import Outcome, expect, failed, passed, skipped
from sovmigrate.postcheck.registry import check

ROLE = "interministerial_suite"
SECRETS_SERVICE = "/usr/share/dbus-1/services/org.freedesktop.secrets.service"


def _tchap(ctx: Context) -> dict[str, object] | None:
    tchap = ctx.expected(ROLE).get("tchap", {})
    return tchap if tchap.get("enabled") else None


@check("suite:recorded", ROLE)
def recorded(ctx: Context) -> Outcome:
    """The role recorded its expectations (it ran to the end on this machine)."""
    exp = ctx.manifests.get(ROLE)
    if exp is None:
        return failed(f"no {MANIFEST_DIR}/{ROLE}.json: the role did not run here")
    return expect("_invalid" not in exp, "recorded", "the recorded expectations are not valid JSON")


@check("suite:tchap_version", ROLE)
def tchap_version(ctx: Context) -> Outcome:
    """The installed Tchap is the pinned version."""
    tchap = _tchap(ctx)
    if tchap is None:
        return skipped("Tchap not enabled")
    got = ctx.installed_version(str(tchap["package"]))
    want = str(tchap["version"])
    return expect(got == want, f"{tchap['package']} {want}", f"installed: {got}, pinned: {want}")


@check("suite:tchap_held", ROLE)
def tchap_held(ctx: Context) -> Outcome:
    """The Tchap package is held (no upgrade outside the role)."""
    tchap = _tchap(ctx)
    if tchap is None:
        return skipped("Tchap not enabled")
    sel = ctx.host.run(f"dpkg --get-selections {tchap['package']}").stdout.split()
    return expect(sel[-1:] == ["hold"], "hold", f"selection is {sel[-1:] or 'none'}")


@check("suite:tchap_desktop_entry", ROLE)
def tchap_desktop_entry(ctx: Context) -> Outcome:
    """Tchap's desktop entry declares the tchap:// scheme handler."""
    tchap = _tchap(ctx)
    if tchap is None:
        return skipped("Tchap not enabled")
    path = f"/usr/share/applications/{tchap['desktop_file']}"
    text = ctx.read(path)
    if text is None:
        return failed(f"{path} is missing")
    return expect("x-scheme-handler/tchap" in text, path, f"{path} has no tchap:// MimeType")


@check("suite:tchap_url_handler", ROLE)
def tchap_url_handler(ctx: Context) -> Outcome:
    """tchap:// opens Tchap: system default and desktop database entry."""
    tchap = _tchap(ctx)
    if tchap is None:
        return skipped("Tchap not enabled")
    entry = f"x-scheme-handler/tchap={tchap['desktop_file']}"
    defaults = (ctx.read("/etc/xdg/mimeapps.list") or "").replace(";", "")
    cache = ctx.read("/usr/share/applications/mimeinfo.cache") or ""
    if entry not in defaults:
        return failed("/etc/xdg/mimeapps.list has no tchap:// default")
    return expect(
        str(tchap["desktop_file"]) in cache.split("x-scheme-handler/tchap=", 1)[-1].split("\n")[0]
        and "x-scheme-handler/tchap=" in cache,
        entry,
        "the desktop database (mimeinfo.cache) has no tchap:// handler",
    )


@check("suite:tchap_config", ROLE)
def tchap_config(ctx: Context) -> Outcome:
    """The homeserver profile is written and self-update is off."""
    tchap = _tchap(ctx)
    if tchap is None:
        return skipped("Tchap not enabled")
    text = ctx.read(str(tchap["config_path"]))
    if text is None:
        return failed(f"{tchap['config_path']} is missing")
    try:
        conf = json.loads(text)
    except json.JSONDecodeError:
        return failed(f"{tchap['config_path']} is not valid JSON")
    hs = conf.get("default_server_config", {}).get("m.homeserver", {}).get("base_url")
    if hs != tchap["homeserver"]:
        return failed(f"homeserver is {hs}, expected {tchap['homeserver']}")
    return expect(conf.get("disable_update") is True, f"homeserver {hs}", "self-update not off")


@check("suite:secret_service", ROLE)
def secret_service(ctx: Context) -> Outcome:
    """A Secret Service (gnome-keyring) is D-Bus activatable in user sessions."""
    tchap = _tchap(ctx)
    needed = list(tchap["runtime_packages"]) if tchap else ["gnome-keyring"]  # type: ignore[call-overload]
    missing = ctx.missing_packages(needed)
    if missing:
        return failed(f"not installed: {', '.join(missing)}")
    text = ctx.read(SECRETS_SERVICE) or ""
    return expect("Name=org.freedesktop.secrets" in text, SECRETS_SERVICE, "no Secret Service")


@check("suite:launchers", ROLE)
def launchers(ctx: Context) -> Outcome:
    """Every web service has a valid launcher."""
    paths = list(ctx.expected(ROLE).get("launchers", []))
    bad = []
    for path in paths:
        if not ctx.host.file(path).exists:
            bad.append(f"{path} missing")
        elif ctx.host.run(f"desktop-file-validate {shlex.quote(path)}").rc != 0:
            bad.append(f"{path} invalid")
    return expect(not bad, f"{len(paths)} launchers", "; ".join(bad))


@check("suite:webrtc", ROLE)
def webrtc(ctx: Context) -> Outcome:
    """PipeWire (WebRTC for Visio) is installed."""
    missing = ctx.missing_packages(list(ctx.expected(ROLE).get("packages", [])))
    return expect(not missing, "installed", f"not installed: {', '.join(missing)}")


# Runs on the machine: what matters is the agent's path (proxy, firewall, TLS inspection).
_PROBE = """
import sys, urllib.request, urllib.error, ssl
ctx = ssl.create_default_context(cafile=sys.argv[2] or None)
try:
    urllib.request.urlopen(sys.argv[1], timeout=10, context=ctx); print("ok")
except urllib.error.HTTPError as e:
    print("ok" if e.code < 500 else "http %d" % e.code)
except Exception as e:
    print(type(e).__name__, e)
"""


@check("suite:endpoints", ROLE)
def endpoints(ctx: Context) -> Outcome:
    """The suite's endpoints answer from the machine (when the role checked them)."""
    exp = ctx.expected(ROLE)
    urls = list(exp.get("endpoints", []))
    if not urls:
        return skipped("reachability check disabled")
    ca = str(exp.get("ca_path", ""))
    bad = []
    for url in urls:
        out = ctx.host.run(
            f"python3 -c {shlex.quote(_PROBE)} {shlex.quote(url)} {shlex.quote(ca)}"
        ).stdout.strip()
        if out != "ok":
            bad.append(f"{url}: {out}")
    return passed(f"{len(urls)} reachable") if not bad else failed("; ".join(bad))
