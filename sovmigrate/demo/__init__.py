"""``sovmigrate lab demo``: one whole migration wave on lab machines with Windows-like disks.

``plan_machines`` decides what each demo workstation looks like, ``prepare`` builds their disks
and boots them, ``run_demo`` takes them through every stage with the real playbooks and roles.
"""

from sovmigrate.demo.machines import DemoMachine, plan_machines
from sovmigrate.demo.wave import DemoResult, run_demo

__all__ = ["DemoMachine", "DemoResult", "plan_machines", "run_demo"]
