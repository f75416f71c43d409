"""Importing this package registers every check (one module per role)."""

from . import apps, base, desktop, directory, hardening, suite

__all__ = ["apps", "base", "desktop", "directory", "hardening", "suite"]
