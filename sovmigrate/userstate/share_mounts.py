"""A directory user's Windows mapped drives, mounted again at each login with their Kerberos
ticket: a systemd user service that runs ``gio mount`` (GVfs, in user space) for each share.

Why GVfs and not pam_mount/mount.cifs: a kernel CIFS mount needs the ``cifs`` module, which a
container (and this project's lab) cannot load, and GVfs is what GNOME's file manager shows
under "Other locations" anyway. Why a user service and not a desktop autostart entry: it also
runs in a session without a desktop (SSH, a console) and its failures land in the user's
journal (``journalctl --user -u sovmigrate-lecteurs``).

The ticket: SSSD obtains it when the agent logs in with the directory password and stores it
where the Kerberos library looks without being told (``FILE:/tmp/krb5cc_<uid>``, set by the
directory_join role), so the service needs no KRB5CCNAME. A local account has no ticket: its
drives stay GTK bookmarks (a click asks for the password).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING
from urllib.parse import quote

from sovmigrate.userstate import restore_fs

if TYPE_CHECKING:
    from sovmigrate.userstate.restore import Outcome

UNIT = "sovmigrate-lecteurs.service"
GIO = "/usr/bin/gio"


def smb_uri(unc: str) -> str:
    r"""``\\server\share\my dir`` -> ``smb://server/share/my%20dir`` (what GVfs mounts and
    GTK bookmarks hold: a URI, so blanks and non-ASCII letters are percent-encoded)."""
    return "smb://" + quote(unc.strip("\\").replace("\\", "/"), safe="/")


def unit_text(drives: dict[str, str]) -> str:
    mounts = "\n".join(
        # "-": a share that does not answer must not mark the others failed; gio says why.
        # "%" starts a specifier in a unit file: a percent-encoded URI doubles it.
        f"ExecStart=-{GIO} mount {smb_uri(unc).replace('%', '%%')}"
        for _letter, unc in sorted(drives.items())
    )
    letters = ", ".join(f"{letter}:" for letter in sorted(drives))
    return (
        "# sovmigrate: the Windows mapped drives of this account, mounted at login with its\n"
        "# Kerberos ticket (GVfs). Remove this file to stop mounting them.\n"
        "[Unit]\n"
        f"Description=Lecteurs réseau de Windows ({letters})\n"
        "After=dbus.socket\n"
        "\n"
        "[Service]\n"
        "Type=oneshot\n"
        "RemainAfterExit=yes\n"
        f"{mounts}\n"
        "\n"
        "[Install]\n"
        "WantedBy=default.target\n"
    )


def install(o: Outcome, drives: dict[str, str]) -> bool:
    """Write and enable the user service (as ``systemctl --user enable`` would: a link in
    default.target.wants); True when something changed."""
    units = o.user.home / ".config" / "systemd" / "user"
    changed = restore_fs.write_if_changed(o.user, units / UNIT, unit_text(drives).encode())
    wants = units / "default.target.wants"
    link = wants / UNIT
    if not link.is_symlink():
        restore_fs.make_dirs(o.user, wants)
        link.symlink_to(f"../{UNIT}")
        os.lchown(link, o.user.uid, o.user.gid)
        changed = True
    return changed
