"""web_reports: reports from the public web form: contact, consent, photos

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as t:
        # how a citizen who reported on the web is reached (a call's number is on its call row):
        # internal, never on a public page; the lookup's second factor reads them
        t.add_column(sa.Column("contact_phone", sa.String(32), nullable=True))
        t.add_column(sa.Column("contact_email", sa.String(255), nullable=True))
        t.add_column(sa.Column("consent", sa.Boolean, nullable=True))  # agreed to be contacted (web reports)
    op.create_table(
        "ticket_photos",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id"), nullable=False, index=True),
        sa.Column("path", sa.String(255), nullable=False),  # under the data folder's photos/
        sa.Column("content_type", sa.String(16), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("bytes", sa.Integer, nullable=False),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("gps", sa.String(64), nullable=True),  # "lat,lon" from the original's EXIF (the file has none)
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ticket_photos")
    with op.batch_alter_table("tickets") as t:
        t.drop_column("consent")
        t.drop_column("contact_email")
        t.drop_column("contact_phone")
