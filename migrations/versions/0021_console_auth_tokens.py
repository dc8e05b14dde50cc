"""Serial console: one-time console auth tokens (stored as sha256)

Revision ID: 0021
Revises: 0020
"""
import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'console_auth_tokens',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('console_type', sa.String(length=32), nullable=False),
        sa.Column('instance_uuid', sa.String(length=36), nullable=False),
        sa.Column('project_id', sa.String(length=255), nullable=False),
        sa.Column('host', sa.String(length=255), nullable=False),
        sa.Column('port', sa.Integer(), nullable=False),
        sa.Column('compute_host', sa.String(length=255), nullable=True),
        sa.Column('access_url_base', sa.String(length=255), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('expires', sa.DateTime(), nullable=False),
        sa.Column('used_at', sa.DateTime(), nullable=True),
        sa.UniqueConstraint('token_hash', name='uniq_console_auth_tokens0token_hash'))
    op.create_index('ix_console_auth_tokens_instance_uuid', 'console_auth_tokens',
                    ['instance_uuid'])
    op.create_index('ix_console_auth_tokens_expires', 'console_auth_tokens', ['expires'])


def downgrade():
    op.drop_index('ix_console_auth_tokens_expires', table_name='console_auth_tokens')
    op.drop_index('ix_console_auth_tokens_instance_uuid', table_name='console_auth_tokens')
    op.drop_table('console_auth_tokens')
