"""ticket number counters, per day, shared by every engine on the database

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ticket_counters",
        sa.Column("prefix", sa.String(32), primary_key=True),  # '1022-261203-'
        sa.Column("next", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ticket_counters")
