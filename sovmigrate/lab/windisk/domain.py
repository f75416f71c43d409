"""The directory a fixture disk's PC was joined to: which accounts had a profile on it.

A domain-joined PC's ProfileList holds the directory users' SIDs (``S-1-5-21-<domain>-<RID>``)
beside the PC's own local accounts (the machine SID). The lab reads the accounts from its domain
controller after provisioning, so the disk names the SIDs the target will resolve.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ACCOUNT_SID = re.compile(r"^S-1-5-21-\d+-\d+-\d+-\d+$")
# What a sAMAccountName may hold (no \ / [ ] : ; | = , + * ? < > " @).
_LOGIN = re.compile(r'^[^\\/\[\]:;|=,+*?<>"@\s]{1,20}$')


@dataclass(frozen=True)
class DomainAccount:
    login: str  # sAMAccountName: the profile folder Windows made (C:\Users\<login>)
    sid: str


@dataclass(frozen=True)
class Domain:
    netbios: str  # LAB
    accounts: tuple[DomainAccount, ...]
    share: str = ""  # UNC the directory users' mapped drive points to (\\dc.lab\partage)

    def __post_init__(self) -> None:
        if not self.accounts:
            raise ValueError("a domain-joined disk needs at least one directory account")
        for account in self.accounts:
            if not _ACCOUNT_SID.match(account.sid):
                raise ValueError(f"{account.login}: {account.sid!r} is not an account SID")
            if not _LOGIN.match(account.login):
                raise ValueError(f"{account.login!r} is not a Windows logon name")
        logins = [a.login.lower() for a in self.accounts]
        if len(set(logins)) != len(logins):
            raise ValueError("a directory account is listed twice")
