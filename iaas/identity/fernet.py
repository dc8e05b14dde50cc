"""Fernet key repository, rotated like Keystone's.

Files in the repository are named by integers: ``0`` is the *staged* key
(the next primary, already distributed so every host can validate tokens
it will sign), the highest number is the *primary* key (signs new tokens),
the ones between are *secondary* keys (validate only). A rotation promotes
the staged key to primary, writes a new staged key and drops the oldest
secondaries beyond ``max_active_keys``.
"""
import logging
import os
import threading
import time

from cryptography.fernet import Fernet, MultiFernet

LOG = logging.getLogger(__name__)


class KeyRepository:
    """Keys of one directory; reloads when the directory changes."""

    def __init__(self, path, max_active_keys=3, create=True, recheck_interval=1.0):
        self.path = path
        self.max_active_keys = max_active_keys
        self.create = create
        self.recheck_interval = recheck_interval
        self._lock = threading.Lock()
        self._fernet = None
        self._mtime = None
        self._checked = 0.0

    def _key_files(self):
        try:
            names = os.listdir(self.path)
        except FileNotFoundError:
            return {}
        return {int(n): os.path.join(self.path, n) for n in names if n.isdigit()}

    def setup(self):
        """Create the repository with a staged and a primary key if empty."""
        os.makedirs(self.path, mode=0o700, exist_ok=True)
        keys = self._key_files()
        if 0 not in keys:
            self._write(0, Fernet.generate_key())
        if len(self._key_files()) < 2:
            self._write(1, Fernet.generate_key())

    def _write(self, number, key):
        path = os.path.join(self.path, str(number))
        tmp = path + '.tmp'
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'wb') as f:
            f.write(key)
        os.replace(tmp, path)

    def rotate(self):
        """Staged → primary, new staged key, drop the oldest beyond the limit."""
        self.setup()
        keys = self._key_files()
        new_primary = max(keys) + 1
        os.replace(keys[0], os.path.join(self.path, str(new_primary)))
        self._write(0, Fernet.generate_key())
        keys = sorted(k for k in self._key_files() if k != 0)
        # staged + primary + secondaries <= max_active_keys
        while len(keys) + 1 > self.max_active_keys:
            oldest = keys.pop(0)
            os.unlink(os.path.join(self.path, str(oldest)))
        with self._lock:
            self._fernet = None
        LOG.info('fernet keys rotated in %s: primary is now %d', self.path, new_primary)
        return new_primary

    def _load(self):
        keys = self._key_files()
        if not keys and self.create:
            self.setup()
            keys = self._key_files()
        if not keys:
            raise RuntimeError(f'no Fernet keys in {self.path}')
        # MultiFernet encrypts with the first key and tries all on decrypt:
        # primary first, then secondaries (newest first), then staged.
        order = sorted((k for k in keys if k != 0), reverse=True) + ([0] if 0 in keys else [])
        fernets = []
        for k in order:
            with open(keys[k], 'rb') as f:
                fernets.append(Fernet(f.read().strip()))
        return MultiFernet(fernets)

    def fernet(self):
        now = time.monotonic()
        f = self._fernet
        if f is not None and now - self._checked < self.recheck_interval:
            return f
        with self._lock:
            try:
                mtime = os.stat(self.path).st_mtime_ns
            except FileNotFoundError:
                mtime = None
            if self._fernet is None or mtime != self._mtime:
                self._fernet = self._load()
                self._mtime = os.stat(self.path).st_mtime_ns
            self._checked = now
            return self._fernet

    def encrypt(self, data: bytes) -> bytes:
        return self.fernet().encrypt(data)

    def decrypt(self, token: bytes, ttl=None) -> bytes:
        return self.fernet().decrypt(token, ttl=ttl)
