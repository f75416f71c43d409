"""``python3 -m sovmigrate.userstate.restore_main``: restore-side commands the roles run.

Subcommands: ``restore`` (one Windows user into one Linux home, verified, JSON result on
stdout), ``save-manifests`` (keep capture manifests in the store, so a restore needs nothing
but the store) and ``precheck`` (see precheck.py). Kept beside ``python3 -m
sovmigrate.userstate`` (capture, inspect) rather than inside it: same functions as the
``sovmigrate restore`` command, argparse only, Debian's /usr/bin/python3 is enough.
Errors: one line on stderr, exit codes of sovmigrate.errors.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from pathlib import Path
from typing import Any

from sovmigrate.errors import SovmigrateError
from sovmigrate.userstate import manifest as manifest_io
from sovmigrate.userstate import manifest_store
from sovmigrate.userstate import report as report_mod
from sovmigrate.userstate.restore import Outcome, Request, restore
from sovmigrate.userstate.store import ResticStore


def login_for(windows_name: str) -> str:
    """Default Linux login of a Windows user: lowercased, ASCII-folded, POSIX-safe."""
    folded = unicodedata.normalize("NFKD", windows_name).encode("ascii", "ignore").decode()
    login = re.sub(r"[^a-z0-9._-]+", "-", folded.lower()).strip("-.")
    if not login or not login[0].isalpha():
        login = "u" + login
    return login[:32]


def result_of(o: Outcome) -> dict[str, Any]:
    """The JSON result of one restore (CLI ``--format json``, role facts: docs/restore.md)."""
    return {
        "host": o.manifest.host,
        "user": o.manifest.sid or manifest_store.DRIVE,
        "name": o.manifest.name,
        "linux_user": o.user.name,
        "verified": o.verified,
        "files": len(o.placed),
        "bytes": sum(p.placement.entry.size for p in o.placed),
        "snapshot": o.snapshot,
        "reason": None if o.verified else "; ".join(o.mismatches[:5]),
        "changed": o.changed,
        "written": o.written,
        "collisions": sum(1 for p in o.placed if p.path != p.placement.target),
        "settings": o.settings,
        "report": str(o.user.home / report_mod.json_name(o)),
    }


def run_restore(store: ResticStore, req: Request, log: Any = None) -> dict[str, Any]:
    outcome = restore(store, req, log=log)
    if not req.verify_only:
        report_mod.write(outcome)
    return result_of(outcome)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python3 -m sovmigrate.userstate.restore_main")
    sub = parser.add_subparsers(dest="command", required=True)
    res = sub.add_parser("restore", help="restore one captured user into a Linux home")
    res.add_argument("--store", required=True)
    res.add_argument("--password-file", required=True, type=Path)
    res.add_argument("--host", required=True)
    res.add_argument("--user", required=True, help="Windows user name, SID, or 'drive'")
    res.add_argument("--to-user", required=True)
    res.add_argument("--home", type=Path)
    res.add_argument("--locale")
    res.add_argument("--manifest", type=Path)
    res.add_argument("--verify-only", action="store_true")
    res.add_argument("--no-settings", action="store_true")
    lst = sub.add_parser("list", help="users captured for a host (JSON)")
    lst.add_argument("--store", required=True)
    lst.add_argument("--password-file", required=True, type=Path)
    lst.add_argument("--host", required=True)
    sav = sub.add_parser("save-manifests", help="keep a capture's manifests in the store")
    sav.add_argument("--store", required=True)
    sav.add_argument("--password-file", required=True, type=Path)
    sav.add_argument("manifest", type=Path)
    pre = sub.add_parser("precheck", help="can this machine be captured? (JSON)")
    pre.add_argument("source", type=Path)
    pre.add_argument("--store", required=True)
    pre.add_argument("--password-file", type=Path)
    pre.add_argument("--min-ram-mib", type=int, default=0)
    pre.add_argument("--min-disk-gib", type=int, default=0)
    pre.add_argument("--recovery-key-given", action="store_true")
    return parser


def _save(store: ResticStore, path: Path) -> dict[str, Any]:
    saved = 0
    for m in manifest_io.read(path):
        if not m.verified or manifest_store.is_saved(store, m):
            continue
        manifest_store.save(store, m)
        saved += 1
    return {"saved": saved, "changed": saved > 0}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "precheck":
            from sovmigrate.userstate.precheck import Limits, precheck

            limits = Limits(args.min_ram_mib, args.min_disk_gib, args.recovery_key_given)
            out: Any = precheck(args.source, args.store, args.password_file, limits)
            print(json.dumps(out, indent=1, ensure_ascii=False))
            return 0 if out["ok"] else 3
        store = ResticStore(args.store, args.password_file)
        if args.command == "save-manifests":
            out = _save(store, args.manifest)
        elif args.command == "list":
            out = [
                {
                    "user": c.sid,
                    "name": c.name,
                    "login": login_for(c.name) if c.name else "",
                    "snapshot": c.snapshot.id,
                }
                for c in manifest_store.captured(store, args.host)
            ]
        else:
            req = Request(
                host=args.host,
                user=args.user,
                to_user=args.to_user,
                home=args.home,
                locale=args.locale,
                verify_only=args.verify_only,
                apply_settings=not args.no_settings,
                manifest=args.manifest,
            )
            out = run_restore(store, req, log=lambda m: print(m, file=sys.stderr))
        print(json.dumps(out, indent=1, ensure_ascii=False))
        if args.command == "restore" and not out["verified"]:
            return 1
        return 0
    except SovmigrateError as exc:
        print(f"sovmigrate: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("sovmigrate: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
