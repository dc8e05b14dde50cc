"""ports: allowed address pairs

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('allowed_address_pairs', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('ports', schema=None) as batch_op:
        batch_op.drop_column('allowed_address_pairs')
