"""calls, tickets, ticket_events

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calls",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uniqueid", sa.String(64), nullable=False, unique=True),
        sa.Column("linkedid", sa.String(64)),
        sa.Column("channel", sa.String(128)),
        sa.Column("caller_number", sa.String(64)),
        sa.Column("caller_name", sa.String(128)),
        sa.Column("dnid", sa.String(32)),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("answered_at", sa.DateTime),
        sa.Column("ended_at", sa.DateTime),
        sa.Column("hangup_cause", sa.String(64)),
        sa.Column("language", sa.String(8), nullable=False),
    )
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(32), nullable=False, unique=True),
        sa.Column("call_id", sa.Integer, sa.ForeignKey("calls.id")),
        sa.Column("kind", sa.String(16)),
        sa.Column("field", sa.String(32)),
        sa.Column("service", sa.String(8)),
        sa.Column("queue", sa.String(32)),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("summary", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("closed_at", sa.DateTime),
    )
    op.create_index("ix_tickets_created_at", "tickets", ["created_at"])
    op.create_index("ix_tickets_field", "tickets", ["field"])
    op.create_table(
        "ticket_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("detail", sa.Text),
    )
    op.create_index("ix_ticket_events_ticket_id", "ticket_events", ["ticket_id"])


def downgrade() -> None:
    op.drop_table("ticket_events")
    op.drop_table("tickets")
    op.drop_table("calls")
