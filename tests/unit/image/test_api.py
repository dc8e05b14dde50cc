"""iaas/image/api.py: what the image REST layer and the janitor call."""
import pytest

from iaas.db import images as db
from iaas.exception import ImageExists
from iaas.image import api, states, stores

NEW = {'name': 'a', 'owner': 'p', 'disk_format': 'raw', 'container_format': 'bare'}


def test_create_is_queued_and_a_taken_id_conflicts(sqlite_db):
    image = api.image_create(dict(NEW))
    assert image['status'] == states.INITIAL
    with pytest.raises(ImageExists):
        api.image_create(dict(NEW, id=image['id']))
    assert len(api.image_list('p', True)) == 1


def test_tags_are_bounded(sqlite_db, monkeypatch):
    image = api.image_create(dict(NEW))['id']
    monkeypatch.setattr(api, 'MAX_TAGS', 2)
    assert api.tag_add(image, 'one') and api.tag_add(image, 'two')
    assert api.tag_add(image, 'two')          # already there: not a new tag
    assert not api.tag_add(image, 'three')
    assert sorted(api.image_get(image)['tags']) == ['one', 'two']


class _Store:
    def __init__(self, fail):
        self.fail, self.deleted = fail, []

    def delete(self, url, meta):
        if self.fail:
            raise OSError('store unavailable')
        self.deleted.append(url)


def test_data_of_a_deleted_image_is_retried_until_the_store_takes_it(sqlite_db, monkeypatch):
    image = api.image_create(dict(NEW))['id']
    assert states.transition(image, states.QUEUED, states.SAVING)
    assert states.activate(image, {'size': 1}, 'file', 'file:///data')
    store = _Store(fail=True)
    monkeypatch.setattr(stores, 'get_store', lambda name, conf=None: store)
    api.delete_data(image, states.delete(image))
    assert [loc['url'] for loc in db.pending_deletes()] == ['file:///data']
    store.fail = False
    api.retry_pending_deletes()
    assert store.deleted == ['file:///data'] and db.pending_deletes() == []
