"""The shared identity revision watch: one poll per period, caches dropped
when the revision moved, loads racing with a drop are not stored."""
import pytest
from sqlalchemy import exc as sa_exc

from iaas.identity import cache, revision


class FakeClock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


@pytest.fixture
def watch(conf, monkeypatch):
    from iaas.db import identity as db
    clock = FakeClock()
    w = revision.RevisionWatch(clock=clock)
    w.value, w.polls, w.drops = 0, 0, 0

    def revision_get():
        w.polls += 1
        if isinstance(w.value, Exception):
            raise w.value
        return w.value
    monkeypatch.setattr(db, 'revision_get', revision_get)
    w.on_change(lambda: setattr(w, 'drops', w.drops + 1))
    w.clock_ = clock
    return w


def test_polls_at_most_once_per_period(watch):
    for _ in range(100):
        watch.check()
    assert watch.polls == 1 and watch.drops == 1      # the first read sets the scene
    watch.clock_.t += 0.5
    watch.check()
    assert watch.polls == 1
    watch.clock_.t += 0.6
    watch.check()
    assert watch.polls == 2 and watch.drops == 1      # unchanged: nothing dropped


def test_drops_when_the_revision_moved(watch):
    watch.check()
    gen = watch.generation
    watch.value = 7
    watch.clock_.t += 1.0
    watch.check()
    assert watch.drops == 2 and watch.generation == gen + 1


def test_database_errors_keep_caches_and_retry_next_period(watch):
    watch.check()
    watch.value = sa_exc.OperationalError('select', {}, Exception('down'))
    watch.clock_.t += 1.0
    watch.check()
    assert watch.polls == 2 and watch.drops == 1
    watch.value = 3
    watch.clock_.t += 1.0
    watch.check()
    assert watch.drops == 2


def test_a_load_racing_with_a_drop_is_not_stored(conf, monkeypatch):
    monkeypatch.setattr(revision, 'check', lambda: None)
    c = cache.TTLCache(ttl=60)

    def loader():
        revision.WATCH.touch()          # a change lands while we read
        return 'stale'
    assert c.get_or_load('k', loader) == 'stale'
    assert c.get('k') is None
    assert c.get_or_load('k', lambda: 'fresh') == 'fresh'
    assert c.get('k') == 'fresh'
    gen = revision.WATCH.generation
    revision.WATCH.touch()
    c.put('v', 1, gen)
    assert c.get('v') is None
