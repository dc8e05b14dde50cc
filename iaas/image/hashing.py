"""Hashing an upload on several cores in one pass.

hashlib releases the GIL while it hashes a large buffer, so giving MD5 and
SHA-512 a thread each lets one upload hash at the speed of the slower of
the two instead of their sum, while the request thread keeps reading the
socket and writing the store. Each thread takes chunks from a short
bounded queue, so memory stays at a few chunks whatever the image size.
"""
import hashlib
import queue
import threading

_STOP = object()


class ParallelHashes:
    def __init__(self, names=('md5', 'sha512'), depth=4):
        self.hashes = {}
        self._queues = []
        self._threads = []
        for name in names:
            h = hashlib.new(name, usedforsecurity=False) if name == 'md5' else hashlib.new(name)
            q = queue.Queue(depth)
            t = threading.Thread(target=self._run, args=(h, q), daemon=True,
                                 name=f'hash-{name}')
            t.start()
            self.hashes[name] = h
            self._queues.append(q)
            self._threads.append(t)
        self._closed = False

    @staticmethod
    def _run(h, q):
        while True:
            chunk = q.get()
            if chunk is _STOP:
                return
            h.update(chunk)

    def update(self, chunk):
        for q in self._queues:
            q.put(chunk)

    def _stop(self):
        if not self._closed:
            self._closed = True
            for q in self._queues:
                q.put(_STOP)
            for t in self._threads:
                t.join()

    def hexdigests(self):
        """Wait for the threads to finish; {name: hexdigest}."""
        self._stop()
        return {name: h.hexdigest() for name, h in self.hashes.items()}

    def close(self):
        self._stop()
