"""iaas/image/states.py: the one table of image status transitions, and the
only way an image's status changes (each a compare-and-swap)."""
import ast
import datetime
import os

import pytest

from iaas.db import images as db
from iaas.db.base import utcnow
from iaas.image import states as S

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
# The database functions that write an image's status.
STATUS_WRITERS = {'image_cas_status', 'image_destroy', 'cas_stale_status'}

ALLOWED = {(S.QUEUED, S.SAVING), (S.SAVING, S.QUEUED), (S.SAVING, S.SAVING),
           (S.SAVING, S.ACTIVE), (S.ACTIVE, S.DEACTIVATED), (S.DEACTIVATED, S.ACTIVE)} | {
    (s, S.DELETED) for s in (S.QUEUED, S.SAVING, S.ACTIVE, S.DEACTIVATED, S.KILLED)}


def test_the_table_is_exactly_the_allowed_transitions():
    assert set(S.TRANSITIONS) == ALLOWED
    assert S.INITIAL == S.QUEUED


@pytest.mark.parametrize('current', S.STATUSES)
@pytest.mark.parametrize('new', S.STATUSES)
def test_each_transition_is_checked_before_the_database(monkeypatch, current, new):
    calls = []
    monkeypatch.setattr(db, 'image_cas_status', lambda *a, **kw: calls.append(a) or True)
    if (current, new) in ALLOWED:
        assert S.transition('i', current, new) is True
        assert calls == [('i', current, new)]
    else:
        with pytest.raises(S.InvalidTransition, match=f'{current} -> {new}'):
            S.transition('i', current, new)
        assert calls == []


@pytest.fixture
def image(sqlite_db):
    return db.image_create({'name': 'a', 'owner': 'p', 'disk_format': 'raw',
                            'container_format': 'bare', 'status': S.INITIAL})['id']


def test_a_transition_is_a_compare_and_swap(image):
    assert S.transition(image, S.QUEUED, S.SAVING, reserved_size=10)
    assert not S.transition(image, S.QUEUED, S.SAVING)          # no longer queued
    assert not S.transition(image, S.ACTIVE, S.DEACTIVATED)     # not active
    assert S.activate(image, {'size': 3}, 'file', 'file:///x')
    got = db.image_get(image)
    assert (got['status'], got['size'], got['reserved_size']) == (S.ACTIVE, 3, 0)
    assert got['locations'] == [{'store': 'file', 'url': 'file:///x', 'meta': {}}]
    assert not S.activate(image, {'size': 4}, 'file', 'file:///y')   # already active
    assert len(db.image_get(image)['locations']) == 1
    assert S.delete(image) == [{'store': 'file', 'url': 'file:///x', 'meta': {}}]
    with pytest.raises(db.ImageNotFound):
        db.image_get(image)


def test_stale_uploads_go_back_to_queued(image):
    assert S.transition(image, S.QUEUED, S.SAVING, reserved_size=10)
    assert S.reset_stale_uploads(utcnow() - datetime.timedelta(hours=1)) == []
    assert S.reset_stale_uploads(utcnow() + datetime.timedelta(seconds=1)) == [image]
    got = db.image_get(image)
    assert (got['status'], got['reserved_size']) == (S.QUEUED, 0)


def test_an_update_may_not_write_the_status(image):
    with pytest.raises(ValueError, match='transition'):
        db.image_update(image, {'status': S.ACTIVE})
    assert db.image_get(image)['status'] == S.QUEUED


def _status_writes(path):
    tree = ast.parse(open(path, encoding='utf-8').read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in STATUS_WRITERS:
            yield node.lineno, node.attr


def test_only_the_state_module_writes_an_image_status():
    found = []
    for dirpath, _dirs, files in os.walk(os.path.join(ROOT, 'iaas')):
        for name in files:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, ROOT)
            if name.endswith('.py') and rel != os.path.join('iaas', 'image', 'states.py'):
                found += [f'{rel}:{line}: {attr}' for line, attr in _status_writes(path)]
    assert found == []


def test_the_scan_finds_a_status_write(tmp_path):
    bad = tmp_path / 'bad.py'
    bad.write_text('from iaas.db import images as db\ndb.image_cas_status("i", "a", "b")\n')
    assert list(_status_writes(str(bad))) == [(2, 'image_cas_status')]
