"""``python3 -m sovmigrate.userstate``: the entry the roles run on the live system.

Same functions as ``sovmigrate windows inspect`` / ``sovmigrate capture``; argparse only, so
Debian's /usr/bin/python3 with python3-hivex (and python3-cryptography, python3-zstandard to
read a local store directly) is all it needs. Errors: one line on stderr,
exit codes of sovmigrate.errors (2 bad input, 3 environment/blocker, 1 not verified).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sovmigrate.errors import SovmigrateError
from sovmigrate.userstate import manifest as manifest_io
from sovmigrate.userstate.capture import Options, capture, inspect
from sovmigrate.userstate.store import ResticStore


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python3 -m sovmigrate.userstate")
    sub = parser.add_subparsers(dest="command", required=True)
    ins = sub.add_parser("inspect", help="report users, folders, settings and blockers (JSON)")
    ins.add_argument("source")
    ins.add_argument("--rules", type=Path)
    cap = sub.add_parser("capture", help="capture to a restic store and verify")
    cap.add_argument("source")
    cap.add_argument("--store", required=True)
    cap.add_argument("--password-file", required=True, type=Path)
    cap.add_argument("--ssh-config", type=Path)
    cap.add_argument("--host", required=True)
    cap.add_argument("--wave", default="")
    cap.add_argument("--user", action="append")
    cap.add_argument("--rules", type=Path)
    cap.add_argument("--manifest", type=Path)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "inspect":
            print(json.dumps(inspect(Path(args.source), args.rules), indent=1, ensure_ascii=False))
            return 0
        store = ResticStore(args.store, args.password_file, ssh_config=args.ssh_config)
        options = Options(host=args.host, wave=args.wave, users=args.user, rules_file=args.rules)
        manifests = capture(
            Path(args.source),
            store,
            options,
            args.manifest,
            log=lambda m: print(m, file=sys.stderr),
        )
        if args.manifest is None:
            print(manifest_io.dumps(manifests))
        return 0
    except SovmigrateError as exc:
        print(f"sovmigrate: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("sovmigrate: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
