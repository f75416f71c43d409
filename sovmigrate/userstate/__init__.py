"""User-state engine: read a Windows volume offline, select, capture to restic, verify.

Shipped to the live system and run there by the roles (``python3 -m sovmigrate.userstate``):
only the standard library, Debian's python3-hivex, python3-cryptography and
python3-zstandard (the last two to read a local store directly; without them, through
``restic dump``) and external tools (ntfs-3g, restic) are used. The roles copy
``sovmigrate/__init__.py``, ``sovmigrate/errors.py`` and this package.
"""
