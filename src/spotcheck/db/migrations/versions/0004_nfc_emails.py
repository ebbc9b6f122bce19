"""E-mail addresses in Unicode NFC, as sign-in now looks them up (a data step; the schema is unchanged).

Before, addresses were stored as typed (stripped, lower case), so one typed in decomposed form
(``zoe\u0308@…``) could no longer sign in once sign-in normalises to NFC. An address whose NFC
spelling another account already holds is left as it is: merging accounts is not a migration's call.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import logging
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels: str | None = None
depends_on: str | None = None

log = logging.getLogger(__name__)

# Frozen here rather than imported: a migration must do the same thing whatever the code becomes.
_users = sa.table("users", sa.column("id", sa.String), sa.column("email", sa.String))


def _normal(email: str) -> str:
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", email.strip()).lower())


def upgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.select(_users.c.id, _users.c.email)).all()
    taken = {email for _, email in rows}
    for user_id, email in rows:
        normal = _normal(email)
        if normal == email:
            continue
        if normal in taken:
            log.warning("account %s: its address in NFC belongs to another account; left as it is", user_id)
            continue
        conn.execute(sa.update(_users).where(_users.c.id == user_id).values(email=normal))
        taken.add(normal)


def downgrade() -> None:
    pass  # the NFC spellings are the same addresses; nothing to undo
