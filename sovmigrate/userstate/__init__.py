"""User-state engine: read a Windows volume offline, select, capture to restic, verify.

Shipped to the live system and run there by the roles (``python3 -m sovmigrate.userstate``):
only the standard library, python3-hivex and external tools (ntfs-3g, restic) are used. The
roles copy ``sovmigrate/__init__.py``, ``sovmigrate/errors.py`` and this package.
"""
