"""Spots (a place on the skin photographed over time), the patient's answers per photo, the
measured lesion per photo, and read-only share links whose tokens are stored hashed.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def _per_image(name: str, *columns: sa.Column[Any]) -> None:
    op.create_table(
        name,
        sa.Column("owner_id", sa.String(36), primary_key=True),
        sa.Column("file_name", sa.String(200), primary_key=True),
        *columns,
        sa.ForeignKeyConstraint(["owner_id", "file_name"], ["images.owner_id", "images.file_name"], ondelete="CASCADE"),
    )


def upgrade() -> None:
    op.create_table(
        "spots",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("owner_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("body_view", sa.String(8)),
        sa.Column("body_x", sa.Float),
        sa.Column("body_y", sa.Float),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_spots_owner_created", "spots", ["owner_id", "created_at"])
    with op.batch_alter_table("images") as batch:
        batch.add_column(sa.Column("spot_id", sa.String(32), nullable=True))
        batch.create_foreign_key("fk_images_spot_id_spots", "spots", ["spot_id"], ["id"], ondelete="SET NULL")
        batch.create_index("ix_images_spot_id", ["spot_id"])
    _per_image(
        "image_answers",
        *(sa.Column(question, sa.Boolean) for question in ("grown", "changed", "bleeds", "itches", "hurts", "raised")),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
    )
    _per_image(
        "image_measures",
        sa.Column("upload_id", sa.String(36), nullable=False),
        sa.Column("area_fraction", sa.Float, nullable=False),
        sa.Column("lab_l", sa.Float, nullable=False),
        sa.Column("lab_a", sa.Float, nullable=False),
        sa.Column("lab_b", sa.Float, nullable=False),
    )
    op.create_table(
        "spot_shares",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("spot_id", sa.String(32), sa.ForeignKey("spots.id", ondelete="CASCADE"), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_spot_shares_spot_id", "spot_shares", ["spot_id"])


def downgrade() -> None:
    op.drop_table("spot_shares")
    op.drop_table("image_measures")
    op.drop_table("image_answers")
    with op.batch_alter_table("images") as batch:
        batch.drop_index("ix_images_spot_id")
        batch.drop_constraint("fk_images_spot_id_spots", type_="foreignkey")
        batch.drop_column("spot_id")
    op.drop_table("spots")
