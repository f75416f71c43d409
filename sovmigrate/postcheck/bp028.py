"""ANSSI BP-028 v2 rules the hardening role implements: number, level, title.

Titles and levels as in ComplianceAsCode's controls/anssi.yml (BP-028 v2.0). The role's
vars/main.yml holds the same list; tests/unit/postcheck checks that they agree.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    number: str
    level: str
    title: str


RULES: tuple[Rule, ...] = (
    Rule("R30", "minimal", "Removal of unused user accounts"),
    Rule("R31", "minimal", "User password strength"),
    Rule("R53", "minimal", "Files or directories without a known user or group"),
    Rule("R54", "minimal", "Sticky bit and write access rights"),
    Rule("R56", "minimal", "Executables with setuid and setgid bits"),
    Rule("R58", "minimal", "Installation of packages reduced to the bare necessities"),
    Rule("R59", "minimal", "Official package repositories"),
    Rule("R61", "minimal", "Regular updates"),
    Rule("R62", "minimal", "Minimization of installed services"),
    Rule("R68", "minimal", "Protecting stored passwords"),
    Rule("R80", "minimal", "Minimization of network services"),
    Rule("R9", "intermediary", "Kernel configuration options"),
    Rule("R11", "intermediary", "Yama module sysctl configuration"),
    Rule("R12", "intermediary", "IPv4 configuration options"),
    Rule("R13", "intermediary", "IPv6 configuration options"),
    Rule("R14", "intermediary", "File system configuration options"),
    Rule("R32", "intermediary", "Configuring a timeout on local user sessions"),
    Rule("R33", "intermediary", "Use of dedicated administration accounts"),
    Rule("R39", "intermediary", "Sudo configuration guidelines"),
    Rule("R42", "intermediary", "Good use of negation in a sudoers file"),
    Rule("R50", "intermediary", "Rights to access sensitive files and directories"),
    Rule("R74", "intermediary", "Configuring the local messaging service"),
)

BY_NUMBER = {r.number: r for r in RULES}
SYSCTL_RULES = ("R9", "R11", "R12", "R13", "R14")
