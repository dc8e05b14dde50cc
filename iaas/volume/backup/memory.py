"""An in-memory backup store (tests, the benchmark): a dict of objects."""
import threading

from iaas.volume.backup.engine import ObjectNotFound


class MemoryStore:
    """The store interface of :class:`iaas.volume.backup.engine.BackupEngine`
    over a dict; ``objects`` may be altered by tests (corruption, loss)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.objects = {}
        self.puts = 0           # counters, for tests
        self.gets = 0
        self.container_ensured = False

    def ensure_container(self):
        self.container_ensured = True

    def put(self, name, data):
        data = bytes(data)
        with self._lock:
            self.objects[name] = data
            self.puts += 1

    def get(self, name):
        with self._lock:
            self.gets += 1
            try:
                return self.objects[name]
            except KeyError:
                raise ObjectNotFound(f'object {name} not found') from None

    def delete(self, name):
        with self._lock:
            self.objects.pop(name, None)

    def list(self, prefix=''):
        with self._lock:
            return sorted(n for n in self.objects if n.startswith(prefix))

    def stored_bytes(self, prefix=''):
        with self._lock:
            return sum(len(v) for n, v in self.objects.items() if n.startswith(prefix))
