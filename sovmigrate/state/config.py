"""Which state database and which campaign a command works on (flags, then environment)."""

from __future__ import annotations

import os

from sovmigrate.errors import UsageError
from sovmigrate.state.models import Campaign
from sovmigrate.state.store import Store

DEFAULT_DB = "sovmigrate.db"


def db_target(value: str | None) -> str:
    """``--db`` wins, then ``SOVMIGRATE_DB``, then ``./sovmigrate.db``."""
    return value or os.environ.get("SOVMIGRATE_DB") or DEFAULT_DB


def pick_campaign(store: Store, name: str | None, *, create: bool = False) -> Campaign:
    """``--campaign`` / ``SOVMIGRATE_CAMPAIGN``, or the only campaign of the database."""
    name = name or os.environ.get("SOVMIGRATE_CAMPAIGN")
    if name:
        return store.campaign(name, create=create)
    campaigns = store.campaigns()
    if len(campaigns) == 1:
        return campaigns[0]
    if not campaigns:
        raise UsageError("the state database has no campaign yet: pass --campaign NAME")
    names = ", ".join(c.name for c in campaigns)
    raise UsageError(f"several campaigns ({names}): pass --campaign NAME")
