"""Importing this package registers every check (one module per role)."""

from . import apps, base, desktop, hardening, suite

__all__ = ["apps", "base", "desktop", "hardening", "suite"]
