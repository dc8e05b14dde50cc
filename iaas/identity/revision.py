"""Freshness of every process's identity caches: the shared revision.

Every change that can revoke access moves one counter row in the same
transaction (:func:`iaas.db.identity._bump`). Each API process reads it
at most once per ``[identity] revocation_cache_time`` (1 s; one
primary-key lookup, made by whichever request comes first once the period
is over, never by two threads at once) and, when it moved, drops its
validated tokens, user/project/role/credential lookups and reloads the
revocation list. A revocation made through any process so applies in every
process within that period; between polls validation makes no database
round trip.

Lookups started before a drop are not stored after it (:attr:`generation`),
so a load racing with a change cannot keep stale data alive.
"""
import logging
import threading
import time

from sqlalchemy import exc as sa_exc

from iaas.conf import CONF
from iaas.db import identity as db

LOG = logging.getLogger(__name__)


class RevisionWatch:
    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.generation = 0         # moves whenever cached entries are dropped
        self._seen = None           # revision value last read
        self._next = 0.0            # clock time of the next poll
        self._lock = threading.Lock()
        self._listeners = []        # callables run when the revision moved

    def on_change(self, fn):
        if fn not in self._listeners:
            self._listeners.append(fn)

    def check(self):
        """Poll the revision if the period is over; drop caches if it moved."""
        if self.clock() < self._next:
            return
        if not self._lock.acquire(blocking=False):
            return      # another thread is polling; the caches stay as they are
        try:
            if self.clock() < self._next:
                return
            self._poll()
        finally:
            self._lock.release()

    def _poll(self):
        try:
            value = db.revision_get()
        except sa_exc.SQLAlchemyError as exc:
            # Nothing can change while the database is away; try again soon.
            LOG.warning('cannot read the identity revision: %s', exc)
            self._next = self.clock() + self.interval()
            return
        self._next = self.clock() + self.interval()
        if value != self._seen:
            first = self._seen is None
            self._seen = value
            if not first:
                LOG.debug('identity revision moved to %s: dropping caches', value)
            self.changed()

    def changed(self):
        """Drop what the listeners cache (also after a local change)."""
        self.generation += 1
        for fn in list(self._listeners):
            fn()

    def touch(self):
        """A change made through this process: loads in flight are not stored."""
        self.generation += 1

    @staticmethod
    def interval():
        return CONF.identity.revocation_cache_time

    def reset(self):
        with self._lock:
            self._seen = None
            self._next = 0.0
            self.generation += 1


WATCH = RevisionWatch()


def check():
    WATCH.check()
