"""sharing: what a 1022 supervisor shares with the agency of an assignment (the call's recording,
the caller's number), and the date an agency proposed when it asked for more time

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assignments") as a:
        # an agency never hears the call nor sees the number unless 1022 shares it (revocable)
        a.add_column(sa.Column("shared_recording", sa.Boolean, nullable=False, server_default=sa.false()))
        a.add_column(sa.Column("shared_caller", sa.Boolean, nullable=False, server_default=sa.false()))
        # the new deadline the agency asked for with its request for more time (1022 grants it, or another)
        a.add_column(sa.Column("extension_until", sa.DateTime, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("assignments") as a:
        a.drop_column("extension_until")
        a.drop_column("shared_caller")
        a.drop_column("shared_recording")
