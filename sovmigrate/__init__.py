"""sovmigrate: move Windows workstations to a sovereign Debian desktop without losing a file."""

__version__ = "0.1.0"
