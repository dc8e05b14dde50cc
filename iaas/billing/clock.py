"""The time billing code reads: injectable, so tests move it (no sleeps).

Every function that needs "now" takes a ``now`` argument; when it is None
it asks :func:`now`, which asks the process's clock (the system's unless a
test installed a :class:`FakeClock` with :func:`set_clock`).
"""
import datetime
import threading


def utcnow():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class SystemClock:
    def now(self):
        return utcnow()


class FakeClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, start):
        self._now = start
        self._lock = threading.Lock()

    def now(self):
        with self._lock:
            return self._now

    def set(self, when):
        with self._lock:
            self._now = when

    def advance(self, **delta):
        with self._lock:
            self._now += datetime.timedelta(**delta)
            return self._now


_clock = SystemClock()


def set_clock(clock):
    """Install ``clock`` (None: the system clock again); returns the old one."""
    global _clock
    old, _clock = _clock, clock or SystemClock()
    return old


def get_clock():
    return _clock


def now(value=None):
    """``value`` if given, else the installed clock's time (naive UTC)."""
    return value if value is not None else _clock.now()


def month_bounds(period):
    """(start, end) of the calendar month ``'YYYY-MM'`` (UTC, end exclusive)."""
    year, month = (int(x) for x in period.split('-'))
    start = datetime.datetime(year, month, 1)
    end = datetime.datetime(year + (month == 12), month % 12 + 1, 1)
    return start, end


def period_of(when):
    return f'{when.year:04d}-{when.month:02d}'


def previous_period(period):
    start, _ = month_bounds(period)
    return period_of(start - datetime.timedelta(days=1))
