"""identity: application credentials

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'identity_application_credentials',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('user_id', sa.String(length=64), nullable=False),
        sa.Column('project_id', sa.String(length=64), nullable=False),
        sa.Column('description', sa.Text(), nullable=True),
        sa.Column('secret_hash', sa.String(length=255), nullable=False),
        sa.Column('roles', sa.Text(), nullable=False),
        sa.Column('unrestricted', sa.Boolean(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['project_id'], ['identity_projects.id'],
            name=op.f('fk_identity_application_credentials_project_id_identity_projects'),
            ondelete='CASCADE'),
        sa.ForeignKeyConstraint(
            ['user_id'], ['identity_users.id'],
            name=op.f('fk_identity_application_credentials_user_id_identity_users'),
            ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_application_credentials')),
        sa.UniqueConstraint('user_id', 'name',
                            name=op.f('uq_identity_application_credentials_user_id_name')))
    with op.batch_alter_table('identity_application_credentials') as batch_op:
        batch_op.create_index(
            batch_op.f('ix_identity_application_credentials_project_id'), ['project_id'],
            unique=False)


def downgrade():
    op.drop_table('identity_application_credentials')
