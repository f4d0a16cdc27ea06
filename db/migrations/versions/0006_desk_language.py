"""the console's desk and languages: structured report entry (caller name, address, area),
the call's outcome, each user's language, and pause reasons as rows an admin can edit

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# the reasons the phones' *131-*134 and the console offered before they became rows
DEFAULT_REASONS = [("1", "break", "Nghỉ giải lao", "Break"), ("2", "lunch", "Nghỉ trưa", "Lunch"),
                   ("3", "training", "Đào tạo", "Training"), ("4", "after-call work", "Xử lý sau cuộc gọi",
                                                                 "After-call work")]


def upgrade() -> None:
    with op.batch_alter_table("tickets") as t:
        t.add_column(sa.Column("caller_name", sa.String(128), nullable=True))
        t.add_column(sa.Column("address", sa.String(255), nullable=True))
        t.add_column(sa.Column("area", sa.String(32), nullable=True))
        t.add_column(sa.Column("outcome", sa.String(32), nullable=True))
        t.create_index("ix_tickets_area", ["area"])
    with op.batch_alter_table("users") as u:
        u.add_column(sa.Column("language", sa.String(8), nullable=True))
    reasons = op.create_table(
        "pause_reasons",
        sa.Column("digit", sa.String(1), primary_key=True),  # *13<digit> on the phone
        sa.Column("key", sa.String(32), nullable=False, unique=True),  # what agent_states.reason holds
        sa.Column("vi", sa.String(64), nullable=False),
        sa.Column("en", sa.String(64), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    )
    op.bulk_insert(reasons, [{"digit": d, "key": k, "vi": vi, "en": en, "active": True}
                             for d, k, vi, en in DEFAULT_REASONS])


def downgrade() -> None:
    op.drop_table("pause_reasons")
    with op.batch_alter_table("users") as u:
        u.drop_column("language")
    with op.batch_alter_table("tickets") as t:
        t.drop_index("ix_tickets_area")
        for column in ("outcome", "area", "address", "caller_name"):
            t.drop_column(column)
