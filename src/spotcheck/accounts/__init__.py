"""A person's data as theirs: the account's profile, everything in one zip, and the account's deletion.

Signing in (the account row, passwords, sessions) is ``auth/``; this package works over all that an
account holds (images, spots, share links) and uses ``auth/`` for the row itself.
"""

from spotcheck.accounts.data import EXPORT_JSON, AccountData, AccountProfile, PasswordNeededError, SignInMethod

__all__ = ["EXPORT_JSON", "AccountData", "AccountProfile", "PasswordNeededError", "SignInMethod"]
