"""Local lab: real booted Debian machines (systemd-nspawn) reachable by Ansible over SSH.

``Lab(root).up(["m1", "m2"])`` creates and boots machines and writes ``<root>/inventory.yml``;
``down``, ``destroy`` and ``status`` complete it. See docs/lab.md.
"""

from sovmigrate.lab.lab import Lab, MachineStatus, UpReport, default_root

__all__ = ["Lab", "MachineStatus", "UpReport", "default_root"]
