"""``python3 -m sovmigrate.userstate.restore_main``: restore-side commands the roles run.

Subcommands: ``restore`` (one Windows user into one Linux home, verified, JSON result on
stdout), ``restore-all`` (every user of a ``plan``, one process: restore_batch.py),
``save-manifests`` (keep capture manifests in the store, so a restore needs nothing
but the store) and ``precheck`` (see precheck.py). Kept beside ``python3 -m
sovmigrate.userstate`` (capture, inspect) rather than inside it: same functions as the
``sovmigrate restore`` command, argparse only, Debian's /usr/bin/python3 is enough.
Errors: one line on stderr, exit codes of sovmigrate.errors.
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import sys
import unicodedata
from pathlib import Path
from typing import Any

from sovmigrate.errors import SovmigrateError, UsageError
from sovmigrate.userstate import identity, manifest_store, restore_batch
from sovmigrate.userstate import manifest as manifest_io
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


def result_of(o: Outcome, req: Request | None = None) -> dict[str, Any]:
    """The JSON result of one restore (CLI ``--format json``, role facts: docs/restore.md)."""
    unresolved = bool(req and req.unresolved)
    return {
        "host": o.manifest.host,
        "user": o.manifest.sid or manifest_store.DRIVE,
        "name": o.manifest.name,
        "linux_user": "" if unresolved else o.user.name,
        "account": "unresolved" if unresolved else (req.account if req else ""),
        "kept_in": str(o.user.home) if unresolved else "",
        # The data of an unresolved SID is verified where it is kept, but nobody received it:
        # the restore of that profile is not done.
        "ok": o.verified and not unresolved,
        "verified": o.verified,
        "files": len(o.placed),
        "bytes": sum(p.placement.entry.size for p in o.placed),
        "snapshot": o.snapshot,
        "reason": _reason(o, unresolved),
        "changed": o.changed,
        "written": o.written,
        "collisions": sum(1 for p in o.placed if p.path != p.placement.target),
        "settings": o.settings,
        "report": str(o.user.home / report_mod.json_name(o)),
    }


def _reason(o: Outcome, unresolved: bool) -> str | None:
    if not o.verified:
        return "; ".join(o.mismatches[:5])
    if unresolved:
        return (
            f"SID {o.manifest.sid} ({o.manifest.name}) resolves to no account on this machine: "
            f"its {len(o.placed)} files are kept, verified, in {o.user.home} (root only); "
            "map it with user_state_restore_user_map or restore the account, then run again"
        )
    return None


def run_restore(store: ResticStore, req: Request, log: Any = None) -> dict[str, Any]:
    outcome = restore(store, req, log=log)
    if not req.verify_only:
        report_mod.write(outcome)
    return result_of(outcome, req)


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def plan(
    store: ResticStore,
    host: str,
    *,
    users: list[str],
    user_map: dict[str, str],
    drive_data_user: str,
    directory_domains: set[str],
    resolver: identity.Resolver | None = None,
) -> list[dict[str, str]]:
    """Who goes where, for every user captured for ``host`` (the restore role's plan)."""
    captured = [
        c
        for c in manifest_store.captured(store, host)
        if not c.name or not users or c.name in users or c.sid in users
    ]
    profiles = [(c.sid, c.name) for c in captured if c.name]
    assigned = identity.assign(
        profiles,
        {c.sid: login_for(c.name) for c in captured if c.name},
        user_map,
        resolver or identity.system_resolver(),
        directory_domains,
    )
    out = [a.as_dict() for a in assigned]
    if drive_data_user and any(not c.name for c in captured):
        out.append(
            {
                "user": manifest_store.DRIVE,
                "name": "drive data",
                "kind": "local",
                "login": drive_data_user,
                "reason": "",
            }
        )
    return out


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
    res.add_argument(
        "--no-share-mounts",
        action="store_true",
        help="mapped drives as bookmarks only (no mount at login for directory accounts)",
    )
    res.add_argument("--create-home", action="store_true", help="make a missing home")
    res.add_argument("--umask", default=identity.DEFAULT_UMASK)
    res.add_argument("--account", default="", help="directory or local (for the report)")
    res.add_argument("--unresolved", action="store_true", help="keep for a technician")
    alln = sub.add_parser("restore-all", help="restore every user of a plan, in one process")
    alln.add_argument("--store", required=True)
    alln.add_argument("--password-file", required=True, type=Path)
    alln.add_argument("--host", required=True)
    alln.add_argument("--plan", required=True, help="JSON list: the output of 'plan'")
    alln.add_argument("--locale")
    alln.add_argument("--no-settings", action="store_true")
    alln.add_argument("--no-share-mounts", action="store_true")
    alln.add_argument("--umask", default=identity.DEFAULT_UMASK)
    pln = sub.add_parser("plan", help="which account receives each captured user (JSON)")
    pln.add_argument("--store", required=True)
    pln.add_argument("--password-file", required=True, type=Path)
    pln.add_argument("--host", required=True)
    pln.add_argument("--users", default="[]", help="JSON list of names or SIDs")
    pln.add_argument("--user-map", default="{}", help="JSON object name or SID -> login")
    pln.add_argument("--drive-data-user", default="")
    pln.add_argument("--directory-domain", action="append", default=[], help="domain SID")
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
    pre.add_argument("--directory-realm", default="")
    pre.add_argument("--dns-server", action="append", default=[])
    pre.add_argument("--max-clock-skew", type=int, default=300)
    return parser


def _save(store: ResticStore, path: Path) -> dict[str, Any]:
    saved = 0
    known: dict[str, set[tuple[str, str]]] = {}  # per host: listed once, not per manifest
    for m in manifest_io.read(path):
        if not m.verified:
            continue
        if m.host not in known:
            known[m.host] = manifest_store.kept(store, m.host)
        if manifest_store.is_saved(store, m, known[m.host]):
            continue
        manifest_store.save(store, m)
        saved += 1
    return {"saved": saved, "changed": saved > 0}


def _json_arg(text: str, kind: type, flag: str) -> Any:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{flag}: not JSON ({exc.msg})") from None
    if not isinstance(value, kind):
        raise UsageError(f"{flag}: expected a JSON {kind.__name__}")
    return value


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "precheck":
            from sovmigrate.userstate.precheck import Directory, Limits, precheck

            limits = Limits(args.min_ram_mib, args.min_disk_gib, args.recovery_key_given)
            directory = (
                Directory(args.directory_realm, tuple(args.dns_server), args.max_clock_skew)
                if args.directory_realm
                else None
            )
            out: Any = precheck(args.source, args.store, args.password_file, limits, directory)
            print(json.dumps(out, indent=1, ensure_ascii=False))
            return 0 if out["ok"] else 3
        store = ResticStore(args.store, args.password_file)
        if args.command == "save-manifests":
            out = _save(store, args.manifest)
        elif args.command == "plan":
            out = plan(
                store,
                args.host,
                users=_json_arg(args.users, list, "--users"),
                user_map=_json_arg(args.user_map, dict, "--user-map"),
                drive_data_user=args.drive_data_user,
                directory_domains=set(args.directory_domain),
            )
        elif args.command == "restore-all":
            options = restore_batch.Options(
                host=args.host,
                locale=args.locale,
                apply_settings=not args.no_settings,
                mount_shares=not args.no_share_mounts,
                home_umask=args.umask,
            )
            plan_in = _json_arg(args.plan, list, "--plan")
            out = restore_batch.restore_planned(
                store, plan_in, options, functools.partial(run_restore, log=_say)
            )
            print(json.dumps(out, indent=1, ensure_ascii=False))
            return 0 if all(r["ok"] for r in out) else 1
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
                mount_shares=not args.no_share_mounts,
                manifest=args.manifest,
                create_home=args.create_home,
                home_umask=args.umask,
                account=args.account,
                unresolved=args.unresolved,
            )
            out = run_restore(store, req, log=_say)
        print(json.dumps(out, indent=1, ensure_ascii=False))
        if args.command == "restore" and not out["ok"]:
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
