"""Accounts from an OpenID provider: table ``identities`` (issuer + subject), and users without an
address or a password (an account the provider made may have neither).

SQLite cannot change a column's nullability in place; ``batch_alter_table`` copies the table
(Alembic's "move and copy"), keeping the unique constraint on the address.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.alter_column("email", existing_type=sa.String(320), nullable=True)
        batch.alter_column("password_hash", existing_type=sa.String(255), nullable=True)
    op.create_table(
        "identities",
        sa.Column("issuer", sa.String(255), primary_key=True),
        sa.Column("subject", sa.String(255), primary_key=True),
        sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_identities_user_id", "identities", ["user_id"])


def downgrade() -> None:
    op.drop_table("identities")
    # Accounts the provider made have no address or password: they cannot exist in the old schema.
    users = sa.table("users", sa.column("email", sa.String), sa.column("password_hash", sa.String))
    op.execute(sa.delete(users).where(sa.or_(users.c.email.is_(None), users.c.password_hash.is_(None))))
    with op.batch_alter_table("users") as batch:
        batch.alter_column("email", existing_type=sa.String(320), nullable=False)
        batch.alter_column("password_hash", existing_type=sa.String(255), nullable=False)
