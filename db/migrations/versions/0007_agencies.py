"""agencies: forwarding a ticket to the agencies that must act, with deadlines, notifications,
one-time links, attachments, review, and the history of agency changes

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agencies",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(32), nullable=False, unique=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("fields", sa.Text, nullable=False, server_default="[]"),  # JSON list of field keys
        sa.Column("areas", sa.Text, nullable=False, server_default="[]"),  # JSON list of area keys ([]: all)
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "agency_contacts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("agency", sa.String(32), nullable=False, index=True),  # agencies.key
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("email", sa.String(255), nullable=True),
        sa.Column("mobile", sa.String(32), nullable=True),
        sa.Column("username", sa.String(32), nullable=True),  # their console account (role agency)
        sa.Column("head", sa.Boolean, nullable=False, server_default=sa.false()),  # told when a case is overdue
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    )
    op.create_table(
        "agency_history",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("agency", sa.String(32), nullable=False, index=True),
        sa.Column("change", sa.Text, nullable=False),  # JSON {what, before, after}
    )
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=False, index=True),
        sa.Column("agency", sa.String(32), nullable=False, index=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("delivery", sa.String(16), nullable=False, server_default="queued"),  # sent, acknowledged, failed
        sa.Column("delivery_reason", sa.String(255), nullable=True),
        sa.Column("processing", sa.String(24), nullable=False, server_default="in_progress"),
        # in_progress | answered | rejected | extension_requested | closed
        sa.Column("reason", sa.Text, nullable=True),  # of a rejection or an extension request
        sa.Column("suggested_agency", sa.String(32), nullable=True),
        sa.Column("deadline_at", sa.DateTime, nullable=False),
        sa.Column("reminded", sa.Integer, nullable=False, server_default="0"),  # 0, 50, 80, 100 (% of the time)
        sa.Column("answer", sa.Text, nullable=True),
        sa.Column("answered_at", sa.DateTime, nullable=True),
        sa.Column("answered_by", sa.String(64), nullable=True),
        sa.Column("review", sa.String(16), nullable=True),  # pending | approved | returned
        sa.Column("reviewed_by", sa.String(64), nullable=True),
        sa.Column("reviewed_at", sa.DateTime, nullable=True),
        sa.Column("review_comment", sa.Text, nullable=True),
        sa.Column("closed_at", sa.DateTime, nullable=True),
        sa.Column("late", sa.Boolean, nullable=True),  # set once, when it closes: statistics never move
        sa.Column("replaces", sa.Integer, nullable=True),  # the rejected assignment this one re-routes
    )
    op.create_index("ix_assignments_open", "assignments", ["processing", "deadline_at"])
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=True, index=True),
        sa.Column("assignment_id", sa.Integer, sa.ForeignKey("assignments.id"), nullable=True, index=True),
        sa.Column("purpose", sa.String(24), nullable=False),  # assigned | reminder | overdue | citizen_answer
        sa.Column("channel", sa.String(8), nullable=False),  # email | sms
        sa.Column("recipient", sa.String(255), nullable=False),
        sa.Column("subject", sa.String(255), nullable=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False, server_default="queued"),  # queued | sent | failed
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.String(255), nullable=True),
        sa.Column("next_try_at", sa.DateTime, nullable=False),
        sa.Column("sent_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_notifications_due", "notifications", ["state", "next_try_at"])
    op.create_table(
        "access_links",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),  # SHA-256 of the link's token
        sa.Column("assignment_id", sa.Integer, sa.ForeignKey("assignments.id"), nullable=False, index=True),
        sa.Column("contact_id", sa.Integer, sa.ForeignKey("agency_contacts.id"), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("used_at", sa.DateTime, nullable=True),
    )
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("assignment_id", sa.Integer, sa.ForeignKey("assignments.id"), nullable=False, index=True),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(64), nullable=False),
        sa.Column("bytes", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("path", sa.String(255), nullable=False),  # relative to the data folder's attachments
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
    )
    with op.batch_alter_table("users") as u:
        u.add_column(sa.Column("agency", sa.String(32), nullable=True))  # role agency: the one agency they act for
    with op.batch_alter_table("tickets") as t:
        t.add_column(sa.Column("reply_by", sa.String(16), nullable=True))  # callback | sms: how the citizen hears back
        t.add_column(sa.Column("map_point", sa.String(64), nullable=True))  # "lat,lon", optional


def downgrade() -> None:
    with op.batch_alter_table("tickets") as t:
        t.drop_column("map_point")
        t.drop_column("reply_by")
    with op.batch_alter_table("users") as u:
        u.drop_column("agency")
    for name in ("attachments", "access_links", "notifications"):
        op.drop_table(name)
    op.drop_index("ix_assignments_open", "assignments")
    for name in ("assignments", "agency_history", "agency_contacts", "agencies"):
        op.drop_table(name)
