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
"""
import collections
import os
import time
import uuid
from time import monotonic

from kombu.transport import filesystem
from kombu.transport.filesystem import LOCK_EX, exchange_queue_t, lock, unlock
from kombu.transport.virtual import Empty
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads


class Channel(filesystem.Channel):
    RELIST_INTERVAL = 0.005

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pending = collections.defaultdict(collections.deque)
        self._listed_mtime = None
        self._listed_at = 0.0

    def _put(self, queue, payload, **kwargs):
        name = '{:015d}_{}.{}.msg'.format(int(monotonic() * 1000), uuid.uuid4().hex, queue)
        final = os.path.join(self.data_folder_out, name)
        tmp = os.path.join(self.data_folder_out, '.tmp-' + name)
        with open(tmp, 'wb') as f:
            f.write(str_to_bytes(dumps(payload)))
        os.rename(tmp, final)

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
            return False
        # Claims rename files, so a busy folder changes all the time: list it
        # at most every RELIST_INTERVAL, which bounds the cost per message.
        now = monotonic()
        if now - self._listed_at < self.RELIST_INTERVAL:
            return False
        self._listed_at = now
        # File times tick coarsely (a few ms): a file added within the same
        # tick as this listing would leave mtime unchanged. Trust the mtime
        # only once the listing is safely later than it.
        self._listed_mtime = mtime if time.time_ns() - mtime > 50_000_000 else None
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
