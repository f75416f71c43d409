"""Post-migration checks: named functions over a testinfra Host, one JSON verdict each.

The same checks run from ``sovmigrate postcheck HOST`` and from the ``postcheck`` Ansible role
(which calls that command on the controller), so there is one implementation. See
docs/workstation.md for the check list and the JSON format.
"""

from sovmigrate.postcheck.model import CheckResult, Report, Status
from sovmigrate.postcheck.registry import ROLES, all_checks, select
from sovmigrate.postcheck.runner import run_checks

__all__ = ["ROLES", "CheckResult", "Report", "Status", "all_checks", "run_checks", "select"]
