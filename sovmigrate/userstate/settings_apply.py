"""Apply a restored user's Windows settings on the Linux desktop, each one checkable on it.

Every step reports ``applied`` (it changed something), ``unchanged`` (already in place),
``none`` (nothing of that kind was captured), ``skipped`` (a tool is missing: the detail says
which package) or ``failed`` (the detail says why). A step never fails the restore: the files
are verified by then; the report lists what did not apply.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import unicodedata
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from sovmigrate.userstate import bookmarks, identity, restore_fs, share_mounts, winpath
from sovmigrate.userstate.xdg import as_user, system_locale

if TYPE_CHECKING:
    from sovmigrate.userstate.restore import Outcome

Result = dict[str, Any]
FIREFOX_PROFILE = "sovmigrate.default-esr"
DESKTOP_MARK = "X-Sovmigrate-Source=url"


def _result(name: str, status: str, detail: str = "") -> Result:
    return {"name": name, "status": status, "detail": detail}


def _placed(o: Outcome, volume_path: str) -> Path | None:
    wanted = volume_path.lower()
    for p in o.placed:
        if p.placement.volume_path.lower() == wanted:
            return o.user.home / p.path
    return None


def _profile_path(o: Outcome, relative: str) -> str:
    return f"{o.manifest.roots.get('profile', '')}/{relative}"


def _xdg(o: Outcome, key: str, fallback: str) -> Path:
    from sovmigrate.userstate.restore import _xdg_relative

    return o.user.home / _xdg_relative(o.user, None).get(key, PurePosixPath(fallback))


def wallpaper(o: Outcome) -> Result:
    source = o.manifest.settings.get("wallpaper") or ""
    relative = winpath.to_volume_relative(source) if source else None
    found = _placed(o, relative) if relative else None
    if not source:
        return _result("wallpaper", "none")
    if found is None:
        return _result("wallpaper", "failed", f"{source} was not captured")
    pictures = _xdg(o, "PICTURES", "Pictures")
    image = found
    if pictures not in found.parents:
        image = pictures / f"Fond d'écran Windows{found.suffix}"
        restore_fs.write_if_changed(o.user, image, found.read_bytes())
    if shutil.which("dconf") is None or shutil.which("dbus-run-session") is None:
        return _result("wallpaper", "skipped", f"{image}; dconf-cli or dbus missing")
    value = f"'{image.as_uri()}'"
    keys = ["/org/gnome/desktop/background/picture-uri"]
    keys.append("/org/gnome/desktop/background/picture-uri-dark")
    locale = system_locale()
    current = [as_user(o.user, ["dconf", "read", k], locale).stdout.strip() for k in keys]
    if current == [value] * len(keys):
        return _result("wallpaper", "unchanged", str(image))
    for key in keys:
        run = as_user(o.user, ["dbus-run-session", "--", "dconf", "write", key, value], locale)
        if run.returncode != 0:
            return _result("wallpaper", "failed", run.stderr.strip()[-200:])
    return _result("wallpaper", "applied", str(image))


def _firefox_profile(o: Outcome) -> tuple[Path, bool]:
    """The default Firefox profile of the user, created when there is none (True if new)."""
    base = o.user.home / ".mozilla" / "firefox"
    ini = base / "profiles.ini"
    if ini.is_file():
        text = ini.read_text(encoding="utf-8", errors="replace")
        if FIREFOX_PROFILE not in text:
            paths = re.findall(r"^Path=(.+)$", text, re.MULTILINE)
            if paths:
                return base / paths[0].strip(), False
    restore_fs.write_if_changed(
        o.user,
        ini,
        (
            "[General]\nStartWithLastProfile=1\nVersion=2\n\n"
            f"[Profile0]\nName=default-esr\nIsRelative=1\nPath={FIREFOX_PROFILE}\nDefault=1\n"
        ).encode(),
    )
    return base / FIREFOX_PROFILE, True


def firefox_bookmarks(o: Outcome) -> Result:
    s = o.manifest.settings
    items: list[tuple[str, str]] = []
    for relative in (s.get("browser_bookmarks") or {}).values():
        found = _placed(o, _profile_path(o, relative))
        items += bookmarks.from_chromium(found) if found else []
    for relative in s.get("firefox_profiles") or []:
        found = _placed(o, _profile_path(o, relative + "/places.sqlite"))
        items += bookmarks.from_firefox(found) if found else []
    for p in o.placed:
        if p.placement.entry.folder == "Favorites" and p.path.suffix.lower() == ".url":
            url = bookmarks.url_of_shortcut(o.user.home / p.path)
            items.append((p.path.stem, url))
    items = list(bookmarks.unique(items))
    if not items:
        return _result("firefox-bookmarks", "none")
    profile, created = _firefox_profile(o)
    target = profile / "bookmarks.html" if created else profile / "bookmarks-windows.html"
    changed = restore_fs.write_if_changed(
        o.user, target, bookmarks.netscape_html(items, "Favoris Windows").encode()
    )
    detail = f"{len(items)} bookmarks in {target}"
    if created:
        # A new profile imports bookmarks.html at first start (it holds nothing to lose yet).
        prefs = (
            'user_pref("browser.places.importBookmarksHTML", true);\n'
            f'user_pref("browser.bookmarks.file", "{target}");\n'
        )
        changed |= restore_fs.write_if_changed(o.user, profile / "user.js", prefs.encode())
    else:
        detail += " (existing Firefox profile: import it from Firefox's Library)"
    return _result("firefox-bookmarks", "applied" if changed else "unchanged", detail)


def shares(o: Outcome, mount: bool = True) -> Result:
    """Mapped drives: GTK bookmarks (Files' sidebar) for everyone; for a directory account,
    also mounted at each login with its Kerberos ticket (``mount``; share_mounts.py)."""
    drives = o.manifest.settings.get("mapped_drives") or {}
    if not drives:
        return _result("shares", "none")
    path = o.user.home / ".config" / "gtk-3.0" / "bookmarks"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        lines = []
    uris = {line.split(" ", 1)[0] for line in lines}
    for letter, unc in sorted(drives.items()):
        uri = share_mounts.smb_uri(unc)
        if uri not in uris:
            lines.append(f"{uri} {letter}: {unc.rsplit(chr(92), 1)[-1]}")
    changed = restore_fs.write_if_changed(o.user, path, ("\n".join(lines) + "\n").encode())
    detail = ", ".join(f"{letter}: {unc}" for letter, unc in sorted(drives.items()))
    if mount and not identity.is_local_account(o.user.name):
        changed |= share_mounts.install(o, drives)
        detail += f" (mounted at login with the Kerberos ticket: {share_mounts.UNIT})"
    else:
        detail += " (bookmarks)"
    return _result("shares", "applied" if changed else "unchanged", detail)


def queue_name(unc: str) -> str:
    """CUPS queue of a connection: ``queue-server`` (servers often share queue names)."""
    server, _, queue = unc.strip("\\").partition("\\")
    name = f"{queue}-{server}" if queue else server
    name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_.") or "printer"


def printers(o: Outcome) -> Result:
    wanted = o.manifest.settings.get("printers") or []
    if not wanted:
        return _result("printers", "none")
    if shutil.which("lpadmin") is None:
        return _result("printers", "skipped", "cups-client missing (lpadmin)")
    changed = False
    for unc in wanted:
        name, uri = queue_name(unc), "smb:" + unc.replace("\\", "/")
        shown = subprocess.run(["lpstat", "-v", name], capture_output=True, text=True, check=False)
        if shown.stdout.strip().endswith(uri):
            continue
        add = subprocess.run(
            ["lpadmin", "-p", name, "-E", "-v", uri], capture_output=True, text=True, check=False
        )
        if add.returncode != 0:
            return _result("printers", "failed", f"{name}: {add.stderr.strip()[-200:]}")
        changed = True
    default = o.manifest.settings.get("default_printer") or ""
    if default:
        content = f"Default {queue_name(default)}\n".encode()
        changed |= restore_fs.write_if_changed(o.user, o.user.home / ".cups" / "lpoptions", content)
    names = ", ".join(queue_name(u) for u in wanted)
    return _result("printers", "applied" if changed else "unchanged", names)


def signatures(o: Outcome) -> Result:
    prefix = _profile_path(o, "AppData/Roaming/Microsoft/Signatures/").lower()
    found = [p for p in o.placed if p.placement.volume_path.lower().startswith(prefix)]
    if not found:
        return _result("outlook-signatures", "none")
    target = _xdg(o, "DOCUMENTS", "Documents") / "Windows" / "Signatures Outlook"
    changed = False
    for p in found:
        inner = p.placement.volume_path[len(prefix) :]
        data = (o.user.home / p.path).read_bytes()
        changed |= restore_fs.write_if_changed(o.user, target / inner, data)
    detail = f"{target} (Thunderbird: account settings, attach the signature from a file)"
    return _result("outlook-signatures", "applied" if changed else "unchanged", detail)


def pst(o: Outcome) -> Result:
    files = [f for f in o.manifest.settings.get("pst_files") or [] if _placed(o, f)]
    if not files:
        return _result("outlook-pst", "none")
    if shutil.which("readpst") is None:
        return _result("outlook-pst", "skipped", "pst-utils missing (readpst)")
    out = _xdg(o, "DOCUMENTS", "Documents") / "Windows" / "Outlook"
    done, failed = [], []
    for f in files:
        source = _placed(o, f)
        assert source is not None
        target = out / source.stem
        if target.is_dir():
            continue
        with tempfile.TemporaryDirectory(prefix="sovmigrate-pst-") as tmp:
            run = subprocess.run(
                ["readpst", "-q", "-r", "-o", tmp, str(source)],
                capture_output=True,
                text=True,
                check=False,
            )
            if run.returncode != 0:
                failed.append(f"{source.name}: not a readable PST")
                continue
            restore_fs.make_dirs(o.user, target.parent)
            shutil.copytree(tmp, target)
            subprocess.run(["chown", "-R", f"{o.user.uid}:{o.user.gid}", str(target)], check=False)
            done.append(source.name)
    if failed:
        return _result("outlook-pst", "failed", "; ".join(failed))
    return _result("outlook-pst", "applied" if done else "unchanged", str(out))


def url_links(o: Outcome) -> Result:
    changed, count = False, 0
    for p in o.placed:
        if p.path.suffix.lower() != ".url" or p.placement.folder == "SETTINGS":
            continue
        url = bookmarks.url_of_shortcut(o.user.home / p.path)
        if "://" not in url:
            continue
        link = o.user.home / p.path.with_suffix(".desktop")
        if link.exists() and DESKTOP_MARK not in link.read_text(errors="replace"):
            continue  # the user's own file: never replaced
        content = (
            "[Desktop Entry]\nType=Link\n"
            f"Name={p.path.stem}\nURL={url}\nIcon=text-html\n{DESKTOP_MARK}\n"
        )
        changed |= restore_fs.write_if_changed(o.user, link, content.encode(), 0o755)
        count += 1
    if not count:
        return _result("url-shortcuts", "none")
    return _result("url-shortcuts", "applied" if changed else "unchanged", f"{count} links")


STEPS: list[Callable[[Outcome], Result]] = [
    wallpaper,
    firefox_bookmarks,
    shares,
    printers,
    signatures,
    pst,
    url_links,
]


def apply_all(o: Outcome, mount_shares: bool = True) -> list[Result]:
    results = []
    for step in STEPS:
        try:
            results.append(shares(o, mount_shares) if step is shares else step(o))
        except (OSError, ValueError, subprocess.SubprocessError) as exc:
            results.append(_result(step.__name__.replace("_", "-"), "failed", str(exc)))
    return results
