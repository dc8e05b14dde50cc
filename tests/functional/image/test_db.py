"""The image facade on SQLite, PostgreSQL and MariaDB."""
import pytest

from iaas.db import images as db
from iaas.image import states


def _mk(name, owner='p1', **kw):
    props = kw.pop('props', None) or {'k': name}
    values = {'name': name, 'owner': owner, 'disk_format': 'raw', 'container_format': 'bare',
              'visibility': kw.pop('visibility', 'private')}
    values.update(kw)
    return db.image_create(values, props, ['t'])


def test_create_get_update_destroy(db_url):
    img = _mk('a', props={'hw': 'virtio'})
    got = db.image_get(img['id'])
    assert got['properties'] == {'hw': 'virtio'} and got['tags'] == ['t']
    up = db.image_update(img['id'], {'name': 'b', 'protected': True}, {'x': '1'}, ['hw'],
                         ['u', 'v', 'u'])
    assert up['name'] == 'b' and up['protected'] is True
    assert up['properties'] == {'x': '1'} and up['tags'] == ['u', 'v']
    with pytest.raises(db.ImageExists):
        db.image_create({'id': img['id'], 'name': 'dup'})
    assert db.image_cas_status(img['id'], 'queued', 'saving', reserved_size=100)
    assert not db.image_cas_status(img['id'], 'queued', 'saving')
    assert db.project_usage('p1') == 100
    assert states.activate(img['id'], {'size': 42, 'checksum': 'c'}, 'file', 'file:///x')
    assert db.project_usage('p1') == 42
    assert db.image_get(img['id'])['locations'] == [{'store': 'file', 'url': 'file:///x',
                                                     'meta': {}}]
    locs = states.delete(img['id'])
    assert locs == [{'store': 'file', 'url': 'file:///x', 'meta': {}}]
    with pytest.raises(db.ImageNotFound):
        db.image_get(img['id'])
    assert db.project_usage('p1') == 0


def test_list_sort_pagination_and_visibility(db_url):
    ids = {}
    for i, name in enumerate(['c', 'a', None, 'b', 'a']):
        ids[i] = _mk(name, size=i * 10 if i else None)['id']
    _mk('pub', owner='p2', visibility='public')
    _mk('other-private', owner='p2')
    shared = _mk('shared', owner='p2', visibility='shared')
    _mk('comm', owner='p2', visibility='community')
    sort = [('name', 'asc'), ('size', 'desc')]
    full = [i['id'] for i in db.image_list('p1', sort=sort, limit=100)]
    assert len(full) == 6   # own five + public
    paged, marker = [], None
    while True:
        page = db.image_list('p1', sort=sort, limit=2, marker=marker)
        if not page:
            break
        paged += [i['id'] for i in page]
        marker = page[-1]['id']
    assert paged == full
    names = [i['name'] for i in db.image_list('p1', sort=sort, limit=100)]
    assert names == [None, 'a', 'a', 'b', 'c', 'pub']
    assert {i['name'] for i in db.image_list('p1', visibility='community')} == {'comm'}
    db.member_create(shared['id'], 'p1')
    assert 'shared' not in {i['name'] for i in db.image_list('p1', limit=100)}
    db.member_update(shared['id'], 'p1', 'accepted')
    assert 'shared' in {i['name'] for i in db.image_list('p1', limit=100)}
    assert len(db.image_list('p3', is_admin=True, limit=100)) == 9
    got = db.image_list('p1', filters={'tags': ['t'], 'properties': {'k': 'b'},
                                       'size_min': 5})
    assert [i['name'] for i in got] == ['b']
    with pytest.raises(db.MarkerNotFound):
        db.image_list('p1', marker='nope')
