# Copyright: sovmigrate contributors. EUPL-1.2.
"""Waves and machines of the sovmigrate state store as an inventory (see DOCUMENTATION)."""

from __future__ import annotations

DOCUMENTATION = r"""
name: state_store
short_description: Waves and machines from the sovmigrate state store
description:
  - Reads the campaign's waves and their machines, with each machine's host variables, from the
    sovmigrate state store (SQLite or PostgreSQL), with the same hosts and variables as
    C(sovmigrate wave inventory), so an AWX inventory source or
    C(ansible-inventory -i sovmigrate_store.yml) sees the waves as the orchestrator does.
  - Groups C(wave_<wave>) (with the variable C(sovmigrate_wave)), C(site_<site>) and
    C(state_<state>) (the machine's state when the inventory was read), the variable
    C(sovmigrate_campaign) on all hosts.
  - The file must end in C(sovmigrate_store.yml) or C(sovmigrate_store.yaml).
  - Needs the C(sovmigrate) Python package on the controller (the execution environment).
requirements:
  - sovmigrate (Python package), psycopg 3 for a PostgreSQL store
extends_documentation_fragment:
  - constructed
options:
  plugin:
    description: The name of this plugin.
    required: true
    choices: [sovmigrate.migrate.state_store, state_store]
  db:
    description:
      - Path of the SQLite store or C(postgresql://user@host/db) URL. Give the password with
        E(PGPASSWORD) or a C(.pgpass) file, not in this file.
    type: str
    required: true
    env:
      - name: SOVMIGRATE_DB
  campaign:
    description: Campaign name; optional when the store holds one campaign.
    type: str
    env:
      - name: SOVMIGRATE_CAMPAIGN
  waves:
    description: Waves to list; all waves of the campaign when empty.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
# sovmigrate_store.yml
plugin: sovmigrate.migrate.state_store
db: postgresql://sovmigrate@db.example.org/cnam
campaign: cnam-2026
waves: [lyon-01]
"""

import sys
from pathlib import Path
from typing import Any

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Constructable


def _store_inventory(target: str, campaign: str | None, waves: list[str]) -> dict[str, Any]:
    try:
        import sovmigrate  # noqa: F401
    except ImportError:
        # Used from a checkout of the repository: its sovmigrate package is there.
        checkout = Path(__file__).resolve().parents[2]
        if not (checkout / "sovmigrate" / "__init__.py").is_file():
            raise AnsibleParserError(
                "the sovmigrate.migrate plugins need the sovmigrate Python package on the "
                "controller (pip install 'sovmigrate[postgres]', or the execution environment)"
            ) from None
        sys.path.insert(0, str(checkout))
    from sovmigrate.run.inventory import store_inventory
    from sovmigrate.state import open_store
    from sovmigrate.state.config import pick_campaign

    with open_store(target) as store:
        return store_inventory(store, pick_campaign(store, campaign), waves)


class InventoryModule(BaseInventoryPlugin, Constructable):
    NAME = "sovmigrate.migrate.state_store"

    def verify_file(self, path: str) -> bool:
        return super().verify_file(path) and path.endswith(
            ("sovmigrate_store.yml", "sovmigrate_store.yaml")
        )

    def parse(self, inventory: Any, loader: Any, path: str, cache: bool = True) -> None:
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        try:
            data = _store_inventory(
                self.get_option("db"), self.get_option("campaign"), self.get_option("waves")
            )
        except Exception as exc:  # SovmigrateError: one line naming the cause
            if type(exc).__module__.startswith("sovmigrate"):
                raise AnsibleParserError(f"sovmigrate state store: {exc}") from None
            raise
        for key, value in data["vars"].items():
            self.inventory.set_variable("all", key, value)
        strict = self.get_option("strict")
        for host, host_vars in data["hosts"].items():
            self.inventory.add_host(host)
            for key, value in host_vars.items():
                self.inventory.set_variable(host, key, value)
        for group, spec in data["groups"].items():
            self.inventory.add_group(group)
            for key, value in spec["vars"].items():
                self.inventory.set_variable(group, key, value)
            for host in spec["hosts"]:
                self.inventory.add_child(group, host)
        for host, host_vars in data["hosts"].items():
            self._set_composite_vars(self.get_option("compose"), host_vars, host, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), host_vars, host, strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), host_vars, host, strict)
