"""Small in-process caches with a time-to-live, for token validation.

Lookups that validation needs (user, project, roles, catalog) come from
here; entries expire after ``[identity] cache_time`` seconds, and changes
made through this process drop the entries they affect at once.
"""
import threading
import time

from iaas.conf import CONF

_MISSING = object()


class TTLCache:
    def __init__(self, ttl=None, maxsize=10000):
        self._ttl = ttl
        self.maxsize = maxsize
        self._data = {}
        self._lock = threading.Lock()

    @property
    def ttl(self):
        return CONF.identity.cache_time if self._ttl is None else self._ttl

    def get_or_load(self, key, loader):
        now = time.monotonic()
        hit = self._data.get(key, _MISSING)
        if hit is not _MISSING and hit[0] > now:
            return hit[1]
        value = loader()
        ttl = self.ttl
        if ttl > 0:
            with self._lock:
                if len(self._data) >= self.maxsize:
                    self._evict(now)
                self._data[key] = (now + ttl, value)
        return value

    def get(self, key):
        """The cached value, or None when absent or expired."""
        hit = self._data.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        return None

    def put(self, key, value):
        ttl = self.ttl
        if ttl <= 0:
            return
        now = time.monotonic()
        with self._lock:
            if len(self._data) >= self.maxsize:
                self._evict(now)
            self._data[key] = (now + ttl, value)

    def _evict(self, now):
        for k in [k for k, (exp, _) in self._data.items() if exp <= now]:
            del self._data[k]
        if len(self._data) >= self.maxsize:
            self._data.clear()

    def pop(self, key):
        with self._lock:
            self._data.pop(key, None)

    def drop(self, predicate):
        with self._lock:
            for k in [k for k in self._data if predicate(k)]:
                del self._data[k]

    def clear(self):
        with self._lock:
            self._data.clear()


users = TTLCache()
projects = TTLCache()
domains = TTLCache()
roles = TTLCache()       # (user_id, 'project'|'domain', target_id) -> [{'id','name'}]
catalog = TTLCache()
ec2 = TTLCache()
validated = TTLCache(maxsize=50000)  # token string -> (TokenData, context fields)

ALL = (users, projects, domains, roles, catalog, ec2, validated)


def clear_all():
    for c in ALL:
        c.clear()
