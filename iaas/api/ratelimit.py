"""Per-user rate limits of the APIs (token buckets, in this process).

Every write (a method other than GET/HEAD/OPTIONS) of an authenticated
user takes one token from that user's bucket, refilled at ``[api]
user_write_rate`` per second up to ``[api] user_write_burst``; an empty
bucket answers 429 with ``Retry-After``. Reads are bounded by list limits
and the request threads instead. The buckets live in the API process: with
N API processes behind a balancer a user gets N times the rate, which
bounds cost per process — what the limit is for.
"""
import collections
import math
import threading
import time

from iaas import wsgi
from iaas.conf import CONF

MAX_TRACKED = 100_000   # users remembered at once (oldest dropped first)


class TokenBuckets:
    """Token buckets keyed by any hashable, thread-safe, bounded in size."""

    def __init__(self, rate, burst, clock=time.monotonic, max_keys=MAX_TRACKED):
        self.rate = float(rate)
        self.burst = float(burst)
        self.clock = clock
        self.max_keys = max_keys
        self._buckets = collections.OrderedDict()   # key -> (tokens, stamp)
        self._lock = threading.Lock()

    def take(self, key, cost=1.0):
        """0 when allowed (a token taken), else the seconds until it would be."""
        now = self.clock()
        with self._lock:
            tokens, stamp = self._buckets.pop(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - stamp) * self.rate)
            if tokens >= cost:
                tokens -= cost
                wait = 0.0
            else:
                wait = (cost - tokens) / self.rate
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        return wait


_lock = threading.Lock()
_writes = None


def _write_buckets():
    global _writes
    rate, burst = CONF.api.user_write_rate, CONF.api.user_write_burst
    b = _writes
    if b is None or b.rate != rate or b.burst != burst:
        with _lock:
            b = _writes = TokenBuckets(rate, burst)
    return b


def check_write(user_id):
    """429 (``wsgi.TooManyRequests`` with Retry-After) when ``user_id`` has
    used up its write rate; nothing when ``[api] user_write_rate`` is 0."""
    if not CONF.api.user_write_rate or user_id is None:
        return
    wait = _write_buckets().take(user_id)
    if wait:
        raise wsgi.TooManyRequests(
            'Too many requests from this user; retry later.',
            headers={'Retry-After': str(max(1, math.ceil(wait)))})


def reset():
    global _writes
    with _lock:
        _writes = None
