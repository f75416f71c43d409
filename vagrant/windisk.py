"""Write a Windows-like NTFS image for the Vagrant workstation's extra disk (run as root).

The Vagrant controller runs this with its own virtualenv's Python: the image comes from the same
builder as the lab's disks (``sovmigrate.lab.windisk.build_windows_disk``), so the VM wave and
``sovmigrate lab demo`` migrate the same users and files. It prints the image's size and users
as JSON, which vagrant/controller.sh reads.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sovmigrate.lab.windisk import VARIANTS, build_windows_disk


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, required=True, help="image file to write")
    parser.add_argument("--seed", type=int, default=1, help="same seed, same disk")
    parser.add_argument("--variant", choices=VARIANTS, default="clean")
    parser.add_argument(
        "--no-huge-file",
        action="store_true",
        help="leave out the sparse file over 4 GiB (faster capture)",
    )
    args = parser.parse_args(argv)
    tmp = args.output.with_name(args.output.name + ".partial")
    # Built under another name: an interrupted build never leaves an image that looks finished.
    description = build_windows_disk(tmp, args.seed, args.variant, huge_file=not args.no_huge_file)
    tmp.replace(args.output)
    Path(str(tmp) + ".json").replace(str(args.output) + ".json")
    summary = {
        "image": str(args.output),
        "size": args.output.stat().st_size,
        "variant": description.variant,
        "users": [u.name for u in description.users],
    }
    json.dump(summary, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
