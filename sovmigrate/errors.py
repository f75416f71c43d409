"""Errors meant for humans: the CLI prints the message on one line and exits with the code."""

from __future__ import annotations


class SovmigrateError(Exception):
    """A failure the user can act on. ``str(err)`` is the one line printed by the CLI."""

    exit_code = 2


class UsageError(SovmigrateError):
    """Bad input: an unknown name, a malformed file, a missing argument."""

    exit_code = 2


class EnvironmentProblem(SovmigrateError):
    """The machine lacks something: a host tool, root privileges, free space."""

    exit_code = 3


class OperationFailed(SovmigrateError):
    """The operation ran but its verdict is a failure (verification mismatch, failed hosts)."""

    exit_code = 1


class StateConflict(SovmigrateError):
    """The state store refuses: locked, newer schema, a gate not satisfied."""

    exit_code = 4
