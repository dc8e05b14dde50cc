"""Migrations upgrade an empty SQLite, PostgreSQL and MariaDB to head,
agree with the models, and downgrade to base."""
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from iaas.db import migration
from iaas.db.all_models import metadata


def _tables(url):
    eng = sa.create_engine(url)
    try:
        return set(sa.inspect(eng).get_table_names()) - {'alembic_version'}
    finally:
        eng.dispose()


def _diff(url):
    eng = sa.create_engine(url)
    try:
        with eng.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={'compare_type': True})
            return compare_metadata(ctx, metadata)
    finally:
        eng.dispose()


def test_upgrade_compare_downgrade(conf, empty_db_url):
    assert _tables(empty_db_url) == set()
    migration.upgrade(empty_db_url)
    assert _tables(empty_db_url) == set(metadata.tables)
    assert migration.current(empty_db_url) is not None
    # The models and the migrations describe the same schema.
    assert _diff(empty_db_url) == []
    migration.downgrade(empty_db_url, 'base')
    assert _tables(empty_db_url) == set()
    # …and back up again: downgrade left nothing behind that blocks it.
    migration.upgrade(empty_db_url)
    assert _tables(empty_db_url) == set(metadata.tables)


def test_single_head():
    """Every migration chain ends in one head (no forgotten merge)."""
    from alembic.script import ScriptDirectory
    heads = ScriptDirectory.from_config(migration.alembic_config('sqlite://')).get_heads()
    assert len(heads) == 1, heads
