"""Expected values for the roles that do not record their own (they mirror the roles' defaults).

interministerial_suite and hardening write theirs on the machine (see context.py); a campaign that
changes a workstation_* default passes the same value with ``--expect`` / postcheck_expectations.
"""

from __future__ import annotations

from typing import Any

DEFAULT_EXPECTATIONS: dict[str, dict[str, Any]] = {
    "workstation_base": {
        "locale": "fr_FR.UTF-8",
        "keyboard_layout": "fr",
        "timezone": "Europe/Paris",
        "packages": ["unattended-upgrades", "systemd-timesyncd"],
    },
    "workstation_desktop": {
        "dconf_db": "local",
        "dconf": {
            "/org/gnome/desktop/screensaver/lock-enabled": "true",
            "/org/gnome/desktop/session/idle-delay": "uint32 300",
        },
        "locks": [
            "/org/gnome/desktop/screensaver/lock-enabled",
            "/org/gnome/desktop/screensaver/lock-delay",
            "/org/gnome/desktop/session/idle-delay",
        ],
        "favorites": ["Tchap-prod.desktop", "sovmigrate-visio.desktop"],
        "packages": ["dconf-cli", "xdg-user-dirs", "gnome-keyring", "cups"],
        "services": ["cups"],
    },
    "workstation_apps": {
        "packages": ["firefox-esr", "thunderbird", "libreoffice-writer", "libreoffice-l10n-fr"],
        "policies_path": "/etc/firefox/policies/policies.json",
        "media_origins": ["https://visio.numerique.gouv.fr"],
        "bookmarks": [
            "https://visio.numerique.gouv.fr",
            "https://francetransfert.numerique.gouv.fr",
        ],
    },
}
