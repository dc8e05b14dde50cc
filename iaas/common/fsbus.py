"""kombu's ``filesystem://`` transport, made safe and fast for several processes.

Three changes to kombu's channel:

* Writes are atomic. kombu creates a ``*.msg`` file and then writes it, so
  a consumer in another process can take the file while it is still empty
  and fail to decode it. Here a message is written under a temporary name
  and renamed into place: a consumer sees whole messages or none.
* Reads do not rescan the folder per message. kombu lists and sorts the
  whole data folder for every message it takes (quadratic in the backlog).
  Here one listing serves every queue of the channel until the folder's
  mtime changes, and a message is claimed by an atomic rename, so two
  consumers never both take it.
* Binding a queue cannot corrupt the exchange table. kombu creates a missing
  table with ``open("wb")``, which truncates outside any lock: two threads
  binding at once can leave one's table written over the head of the
  other's (``Extra data`` on the next publish). Here a missing table appears
  atomically, already holding ``[]``, and every bind is a read-modify-write
  under the exclusive lock.

And consumers wait instead of polling. kombu's transport sleeps
``polling_interval`` between empty polls of every queue (with the 5 ms the
bus needs for fast calls, an idle all-in-one spent 5-13 % of a core on it).
Here a consumer sleeps on an event until a message for one of its queues
may be there: a publisher in the same process sets it directly, and a
:class:`_Watch` thread per bus folder, blocked on Linux inotify, sets it for
messages other processes publish (``iaas-manage``, daemons run apart on one
machine). Without inotify the consumer falls back to polling every
``FALLBACK_POLL`` seconds. Idle, a consumer only wakes when its caller's
``drain_events`` timeout runs out.
"""
import collections
import ctypes
import logging
import os
import select
import socket
import struct
import threading
import time
import uuid
from time import monotonic

from kombu.transport import filesystem
from kombu.transport.filesystem import LOCK_EX, exchange_queue_t, lock, unlock
from kombu.transport.virtual import Empty
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

LOG = logging.getLogger(__name__)

# Waiting on a folder nothing watches (no inotify): poll this often.
FALLBACK_POLL = 0.05

_IN_MOVED_TO, _IN_Q_OVERFLOW = 0x80, 0x4000
_EVENT = struct.Struct('iIII')


def _queue_of(name):
    """The queue a message file is for (``<time>_<uuid>.<queue>.msg``)."""
    if name.startswith('.') or not name.endswith('.msg'):
        return None
    return name.partition('.')[2][:-4]


class _Watch:
    """Wakes this process's consumers of one bus folder when a message for
    one of their queues arrives.

    ``subscribe`` registers an event for some queue names; ``wake(queue)``
    (a publisher of this process) sets the events of that queue. While
    anyone is subscribed a thread reads the folder's inotify events and
    notifies the queues of files that other processes renamed in (names this
    process published are skipped: their consumers were woken already).
    """

    def __init__(self, folder):
        self.folder = folder
        self._lock = threading.Lock()
        self._events = collections.defaultdict(set)   # queue -> {Event}
        self._subscribers = 0
        self._own = set()          # names published here, not yet seen by inotify
        self._thread = None
        self._stop_w = None
        self.live = False          # inotify is watching

    def subscribe(self, queues, event):
        with self._lock:
            for q in queues:
                self._events[q].add(event)
            self._subscribers += 1
            if self._thread is None:
                self._start()

    def resubscribe(self, event, old, new):
        """The event's consumer now takes ``new`` instead of ``old``."""
        with self._lock:
            self._discard(event, old - new)
            for q in new - old:
                self._events[q].add(event)

    def unsubscribe(self, queues, event):
        with self._lock:
            self._discard(event, queues)
            self._subscribers -= 1
            if self._subscribers <= 0 and self._thread is not None:
                self._subscribers = 0
                os.write(self._stop_w, b'x')
                self._thread = self._stop_w = None
                self.live = False
                self._own.clear()

    def _discard(self, event, queues):
        for q in queues:
            waiting = self._events.get(q)
            if waiting is not None:
                waiting.discard(event)
                if not waiting:
                    del self._events[q]

    def publishing(self, name):
        """A message of this process is about to appear as ``name``: its
        inotify event need not wake anyone (:meth:`wake` does)."""
        if self.live:
            with self._lock:
                if len(self._own) > 10_000:   # events lost (queue overflow)
                    self._own.clear()
                self._own.add(name)

    def wake(self, queue):
        """Wake this process's consumers of ``queue``."""
        with self._lock:
            for event in self._events.get(queue, ()):
                event.set()

    def _notify_all(self):
        with self._lock:
            for waiting in self._events.values():
                for event in waiting:
                    event.set()

    def _start(self):
        fd = _inotify_watch(self.folder)
        if fd is None:
            return
        stop_r, self._stop_w = os.pipe()
        self.live = True
        self._thread = threading.Thread(target=self._read, args=(fd, stop_r),
                                        name='fsbus-watch', daemon=True)
        self._thread.start()

    def _read(self, fd, stop_r):
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        poller.register(stop_r, select.POLLIN)
        try:
            while True:
                if any(f == stop_r for f, _ in poller.poll()):
                    return
                self._dispatch(os.read(fd, 65536))
        except OSError:
            LOG.exception('inotify watch of %s failed; consumers poll', self.folder)
            self.live = False
            self._notify_all()
        finally:
            os.close(fd)
            os.close(stop_r)

    def _dispatch(self, data):
        woken, pos = set(), 0
        while pos + _EVENT.size <= len(data):
            _wd, mask, _cookie, length = _EVENT.unpack_from(data, pos)
            name = data[pos + _EVENT.size:pos + _EVENT.size + length].rstrip(b'\0')
            pos += _EVENT.size + length
            if mask & _IN_Q_OVERFLOW:
                self._notify_all()
                continue
            name = os.fsdecode(name)
            queue = _queue_of(name)
            if queue is not None:
                woken.add((name, queue))
        with self._lock:
            for name, queue in woken:
                if name in self._own:
                    self._own.discard(name)
                    continue
                for event in self._events.get(queue, ()):
                    event.set()


def _inotify_watch(folder):
    """An inotify descriptor watching files appear in ``folder``; None where
    inotify is not available (then consumers poll)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fd = libc.inotify_init1(os.O_CLOEXEC)
        if fd < 0:
            raise OSError(ctypes.get_errno(), 'inotify_init1')
        # messages appear by rename (Channel._put): creations are temporary files
        if libc.inotify_add_watch(fd, os.fsencode(folder), _IN_MOVED_TO) < 0:
            err = ctypes.get_errno()
            os.close(fd)
            raise OSError(err, 'inotify_add_watch')
        return fd
    except (OSError, AttributeError) as exc:
        global _inotify_warned
        LOG.log(logging.DEBUG if _inotify_warned else logging.WARNING,
                'cannot watch %s with inotify (%s): consumers poll every %g s',
                folder, exc, FALLBACK_POLL)
        _inotify_warned = True
        return None


_inotify_warned = False


_watches: dict[str, _Watch] = {}
_watches_lock = threading.Lock()


def watch(folder):
    folder = os.path.realpath(folder)
    with _watches_lock:
        w = _watches.get(folder)
        if w is None:
            w = _watches[folder] = _Watch(folder)
        return w


class Channel(filesystem.Channel):
    RELIST_INTERVAL = 0.005

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pending = collections.defaultdict(collections.deque)
        self._listed_mtime = None
        self._listed_at = 0.0
        # the last listing may have missed a file (throttled, or the folder's
        # mtime too recent to trust): look again soon without being woken
        self.unsettled = False
        self._bus = None   # the _Watch of data_folder_out

    def _put(self, queue, payload, **kwargs):
        name = '{:015d}_{}.{}.msg'.format(int(monotonic() * 1000), uuid.uuid4().hex, queue)
        final = os.path.join(self.data_folder_out, name)
        tmp = os.path.join(self.data_folder_out, '.tmp-' + name)
        with open(tmp, 'wb') as f:
            f.write(str_to_bytes(dumps(payload)))
        bus = self._bus
        if bus is None:
            bus = self._bus = watch(self.data_folder_out)
        bus.publishing(name)
        os.rename(tmp, final)
        bus.wake(queue)

    def _queue_bind(self, exchange, routing_key, pattern, queue):
        table = self._exchange_file(exchange)
        self.control_folder.mkdir(exist_ok=True)
        if not table.exists():
            tmp = table.with_name(f'.tmp-{uuid.uuid4().hex}-{table.name}')
            tmp.write_bytes(b'[]')
            try:
                os.link(tmp, table)   # fails if another binder made it first
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
        entry = exchange_queue_t(routing_key or '', pattern or '', queue or '')
        with table.open('rb+', buffering=0) as f:
            lock(f, LOCK_EX)
            try:
                queues = [exchange_queue_t(*q) for q in loads(bytes_to_str(f.read()))]
                if entry not in queues:
                    queues.insert(0, entry)
                    f.seek(0)
                    f.write(str_to_bytes(dumps(queues)))
                    f.truncate()
            finally:
                unlock(f)

    def _relist(self):
        """Refresh the pending messages of every queue if the folder changed."""
        folder = self.data_folder_in
        mtime = os.stat(folder).st_mtime_ns
        if mtime == self._listed_mtime:
            self.unsettled = False
            return False
        # Claims rename files, so a busy folder changes all the time: list it
        # at most every RELIST_INTERVAL, which bounds the cost per message.
        now = monotonic()
        if now - self._listed_at < self.RELIST_INTERVAL:
            self.unsettled = True
            return False
        self._listed_at = now
        # File times tick coarsely (a few ms): a file added within the same
        # tick as this listing would leave mtime unchanged. Trust the mtime
        # only once the listing is safely later than it.
        self._listed_mtime = mtime if time.time_ns() - mtime > 50_000_000 else None
        self.unsettled = self._listed_mtime is None
        self._pending.clear()
        for name in sorted(os.listdir(folder)):
            if name.startswith('.') or not name.endswith('.msg'):
                continue
            self._pending[name.partition('.')[2][:-4]].append(name)
        return True

    def _get(self, queue):
        folder = self.data_folder_in
        for _ in range(2):
            pending = self._pending.get(queue)
            while pending:
                name = pending.popleft()
                claimed = os.path.join(folder, f'.claimed-{uuid.uuid4().hex}-{name}')
                try:
                    os.rename(os.path.join(folder, name), claimed)
                except FileNotFoundError:
                    continue   # another consumer took it
                try:
                    with open(claimed, 'rb') as f:
                        payload = f.read()
                finally:
                    os.unlink(claimed)
                return loads(bytes_to_str(payload))
            if not self._relist():
                break
        raise Empty()

    def _size(self, queue):
        self._relist()
        return len(self._pending.get(queue) or ())

    def _purge(self, queue):
        self._listed_mtime = None
        self._relist()
        count = 0
        for name in self._pending.pop(queue, ()):
            try:
                os.unlink(os.path.join(self.data_folder_in, name))
                count += 1
            except FileNotFoundError:
                pass
        return count


class Transport(filesystem.Transport):
    Channel = Channel

    def __init__(self, client, **kwargs):
        super().__init__(client, **kwargs)
        self._wakeup = threading.Event()
        self._watch = None
        self._watched = frozenset()
        self._interrupted = False

    def interrupt(self):
        """Make a ``drain_events`` waiting in another thread return now
        (raising ``socket.timeout``, as at the end of its timeout)."""
        self._interrupted = True
        self._wakeup.set()

    def _subscribe(self):
        """Keep the wake-up event registered for the queues consumed now."""
        queues = frozenset(self._callbacks)
        if self._watch is None:
            folder = self.client.transport_options.get('data_folder_in', 'data_in')
            self._watch = watch(folder)
            self._watch.subscribe(queues, self._wakeup)
        elif queues != self._watched:
            self._watch.resubscribe(self._wakeup, self._watched, queues)
        self._watched = queues
        return self._watch

    def drain_events(self, connection, timeout=None):
        """Deliver one message; sleep until one may be there, not polling."""
        start = monotonic()
        while True:
            bus = self._subscribe()
            if self._interrupted:
                self._interrupted = False
                raise socket.timeout()
            if self._wakeup.is_set():
                # woken for one of our queues: look now, however recently we
                # listed (the throttle is for folders busy with other queues)
                self._wakeup.clear()   # before looking: a publish from now on sets it
                for ch in self.channels:
                    ch._listed_at = 0.0
            try:
                self.cycle.get(self._deliver, timeout=timeout)
                return
            except Empty:
                pass
            wait = None
            if timeout is not None:
                wait = timeout - (monotonic() - start)
                if wait <= 0:
                    raise socket.timeout()
            if not bus.live:
                wait = FALLBACK_POLL if wait is None else min(wait, FALLBACK_POLL)
            if any(getattr(ch, 'unsettled', False) for ch in self.channels):
                wait = Channel.RELIST_INTERVAL if wait is None else min(
                    wait, Channel.RELIST_INTERVAL)
            self._wakeup.wait(wait)

    def close_connection(self, connection):
        if self._watch is not None:
            self._watch.unsubscribe(self._watched, self._wakeup)
            self._watch, self._watched = None, frozenset()
        super().close_connection(connection)
