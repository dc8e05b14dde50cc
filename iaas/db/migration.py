"""Schema migrations through alembic, driven from code (``iaas-manage db``)."""
import os

from alembic import command
from alembic.config import Config

from iaas.db import engine as db_engine

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), 'migrations')


def alembic_config(url=None):
    cfg = Config()
    cfg.set_main_option('script_location', MIGRATIONS_DIR)
    # ConfigParser interpolation: escape % in passwords.
    cfg.set_main_option('sqlalchemy.url',
                        (url or db_engine.connection_url()).replace('%', '%%'))
    return cfg


def upgrade(url=None, revision='heads'):
    command.upgrade(alembic_config(url), revision)


def downgrade(url=None, revision='base'):
    command.downgrade(alembic_config(url), revision)


def current(url=None):
    from alembic.runtime.migration import MigrationContext
    eng = db_engine.make_engine(url or db_engine.connection_url())
    try:
        with eng.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        eng.dispose()
