"""Volume migration: the backend a volume is being migrated to

Revision ID: 0020
Revises: 0018
"""
import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('volumes') as batch:
        batch.add_column(sa.Column('migration_host', sa.String(length=255), nullable=True))


def downgrade():
    with op.batch_alter_table('volumes') as batch:
        batch.drop_column('migration_host')
