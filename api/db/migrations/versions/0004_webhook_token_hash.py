"""Webhook trigger tokens are credentials: keep only their sha256 (hex), never the token itself.

Existing tokens keep working: each is replaced by its hash, and the lookup hashes what the caller sends.
The downgrade cannot bring a token back from its hash; it restores the column empty (every webhook
workflow then needs a token rotation).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("workflows", sa.Column("webhook_token_hash", sa.String(64), nullable=True))
    op.execute(
        "UPDATE workflows SET webhook_token_hash = encode(sha256(convert_to(webhook_token, 'UTF8')), 'hex') "
        "WHERE webhook_token IS NOT NULL"
    )
    op.create_unique_constraint("uq_workflows_webhook_token_hash", "workflows", ["webhook_token_hash"])
    op.drop_column("workflows", "webhook_token")


def downgrade() -> None:
    op.add_column("workflows", sa.Column("webhook_token", sa.String(64), nullable=True, unique=True))
    op.drop_constraint("uq_workflows_webhook_token_hash", "workflows", type_="unique")
    op.drop_column("workflows", "webhook_token_hash")
