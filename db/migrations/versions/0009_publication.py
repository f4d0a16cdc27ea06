"""publication: public results: what a supervisor hides or redacts before a case is published

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # (issue 17, being built)


def downgrade() -> None:
    pass
