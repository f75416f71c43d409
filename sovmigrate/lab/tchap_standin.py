"""A stand-in for the Tchap desktop package (the real one cannot be downloaded here).

Used by the lab demo and the tests: it is a fake, named as such in its description and binary.

It copies what the interministerial_suite role relies on in the real Tauri-built release asset:
the file name ``Tchap-prod_<ver>_amd64.deb``, the package name, the dependencies apt must resolve
(libwebkit2gtk-4.1-0, libgtk-3-0), a ``.desktop`` entry declaring the ``tchap://`` scheme handler
and a binary. The binary is a shell stub: nothing here runs the real application.

Usable as a module (``build_tchap_deb``) and as a script (``python -m
sovmigrate.lab.tchap_standin OUTDIR VERSION``), which prints the path and its SHA-256.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "tchap-prod"
DESKTOP_FILE = "Tchap-prod.desktop"
DEPENDS = "libwebkit2gtk-4.1-0, libgtk-3-0"


@dataclass(frozen=True)
class TchapDeb:
    path: Path
    version: str
    sha256: str

    @property
    def filename(self) -> str:
        return self.path.name


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)


def build_tchap_deb(outdir: Path, version: str, *, marker: str = "") -> TchapDeb:
    """Build ``Tchap-prod_<version>_amd64.deb`` in ``outdir``; ``marker`` changes the bytes only."""
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "pkg"
        _write(
            root / "DEBIAN/control",
            f"Package: {PACKAGE}\n"
            f"Version: {version}\n"
            "Architecture: amd64\n"
            "Maintainer: sovmigrate lab <lab@invalid>\n"
            f"Depends: {DEPENDS}\n"
            "Section: net\n"
            "Priority: optional\n"
            "Description: Tchap stand-in built by the sovmigrate lab (not the real app)\n",
        )
        _write(
            root / "usr/bin/tchap",
            f"#!/bin/sh\n# sovmigrate lab stand-in for Tchap {version} {marker}\n"
            f'echo "tchap stand-in {version}"\n',
            0o755,
        )
        _write(
            root / "usr/share/applications" / DESKTOP_FILE,
            "[Desktop Entry]\n"
            "Type=Application\n"
            "Name=Tchap\n"
            "Comment=Messagerie instantanée de l'État (stand-in)\n"
            "Exec=tchap %u\n"
            "Icon=tchap\n"
            "Terminal=false\n"
            "Categories=Network;InstantMessaging;\n"
            "MimeType=x-scheme-handler/tchap;\n",
        )
        out = outdir / f"Tchap-prod_{version}_amd64.deb"
        subprocess.run(
            ["dpkg-deb", "--root-owner-group", "-Zxz", "--build", str(root), str(out)],
            check=True,
            capture_output=True,
        )
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    return TchapDeb(path=out, version=version, sha256=digest)


if __name__ == "__main__":
    deb = build_tchap_deb(Path(sys.argv[1]), sys.argv[2])
    print(deb.path, deb.sha256)
