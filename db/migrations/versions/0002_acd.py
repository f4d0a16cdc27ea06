"""ACD: agents, agent_states, audit; queue columns on tickets

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMN: a batch (copy-and-move) rebuild would trip the ticket_events foreign key
    for column in (sa.Column("agent", sa.String(16)), sa.Column("queue_joined_at", sa.DateTime),
                   sa.Column("agent_answered_at", sa.DateTime), sa.Column("wait_s", sa.Integer),
                   sa.Column("talk_s", sa.Integer),
                   sa.Column("abandoned", sa.Boolean, nullable=False, server_default=sa.false()),
                   sa.Column("abandon_position", sa.Integer)):
        op.add_column("tickets", column)
    op.create_table(
        "agents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("extension", sa.String(16), nullable=False, unique=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("pin_hash", sa.String(128), nullable=False),
        sa.Column("skills", sa.Text, nullable=False),
        sa.Column("seat", sa.String(64)),
        sa.Column("logged_in_at", sa.DateTime),
        sa.Column("paused", sa.Boolean, nullable=False),
        sa.Column("pause_reason", sa.String(32)),
    )
    op.create_table(
        "agent_states",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("agent", sa.String(16), nullable=False, index=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(32)),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("ended_at", sa.DateTime),
    )
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target", sa.String(64)),
        sa.Column("call", sa.String(64)),
        sa.Column("detail", sa.Text),
        sa.Column("ended_at", sa.DateTime),
    )


def downgrade() -> None:
    op.drop_table("audit")
    op.drop_table("agent_states")
    op.drop_table("agents")
    for c in ("abandon_position", "abandoned", "talk_s", "wait_s", "agent_answered_at", "queue_joined_at", "agent"):
        op.drop_column("tickets", c)
