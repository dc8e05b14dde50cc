"""Which host sends a conductor call: per-host keys and signed envelopes.

The bus alone does not say who sent a message: any host with bus
credentials could claim to be any other. So every call a hypervisor or
network host sends to iaas-conductor is signed:

* Each conductor holds a master key (``[conductor] master_key_file``). The
  key of host H in role R (``compute`` or ``network``) is
  HMAC-SHA256(master, "iaas-host-key" | R | H); an operator hands it to the
  host (``iaas-manage conductor host-key H R`` → ``[conductor]
  compute_key`` / ``network_key``). A host knows its own key only, so it
  cannot sign as another host or in another role; the conductor keeps no
  table of keys, it derives them.
* A signed envelope carries the JSON of the real request (``signed``, with
  the time it was sent), the claimed ``sender`` and ``role``, and the HMAC
  of the three (``sig``). :class:`Verifier` checks the HMAC against the
  derived key and the age (``[conductor] max_message_age``) and hands the
  conductor a :class:`Caller`; the conductor then lets the host touch only
  what is its own (``iaas/conductor/manager.py``).

A conductor also refuses a signature it has already served (within
``max_message_age``). Not covered: with several conductors, a host that can
read other hosts' queues could replay a captured call to another conductor
within ``max_message_age`` (the writes are compare-and-swaps, so a replay
repeats a change, it cannot make a new one); per-host RabbitMQ users with
permissions on their own queues close that (docs/operators/deployment.md).
"""
import collections
import dataclasses
import hashlib
import hmac
import os
import secrets
import threading
import time

from kombu.utils.json import dumps, loads

from iaas.conf import CONF
from iaas.exception import HostNotAuthorized

ROLES = ('compute', 'network', 'volume')


@dataclasses.dataclass(frozen=True)
class Caller:
    """The verified sender of a conductor call."""
    host: str
    role: str


def _mac(key, *parts):
    return hmac.new(key, '\0'.join(parts).encode(), hashlib.sha256).hexdigest()


def derive(master, host, role):
    """Host ``host``'s key in ``role`` (hex text)."""
    if role not in ROLES:
        raise ValueError(f'unknown role {role!r} (one of {", ".join(ROLES)})')
    return _mac(master, 'iaas-host-key', role, host)


def load_master(create=False):
    """The master key (bytes) of ``[conductor] master_key_file``; made,
    mode 0600, when ``create`` and missing. FileNotFoundError otherwise."""
    path = CONF.conductor.master_key_file
    if create and not os.path.exists(path):
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass        # another conductor on this state path made it first
        else:
            with os.fdopen(fd, 'w') as f:
                f.write(secrets.token_hex(32) + '\n')
    with open(path) as f:
        text = f.read().strip()
    if len(text) < 32:
        # not written out yet by a conductor racing us, or truncated
        raise FileNotFoundError(f'{path} holds no key')
    return text.encode()


class Signer:
    """Signs a host's requests (``RPCClient(signer=…)``). The key is the
    configured one, else derived from a master key readable here; when
    neither exists yet (a conductor on this host still starting) it waits
    for the master key up to ``rpc_response_timeout``."""

    def __init__(self, role, host=None):
        if role not in ROLES:
            raise ValueError(f'unknown role {role!r}')
        self.role, self._host = role, host
        self._key = None
        self._lock = threading.Lock()

    @property
    def host(self):
        return self._host or CONF.host

    def key(self):
        with self._lock:
            if self._key is None:
                self._key = self._resolve()
            return self._key

    def _resolve(self):
        configured = getattr(CONF.conductor, f'{self.role}_key')
        if configured:
            return configured.encode()
        deadline = time.monotonic() + CONF.rpc_response_timeout
        while True:
            try:
                return derive(load_master(), self.host, self.role).encode()
            except (FileNotFoundError, PermissionError) as exc:
                if time.monotonic() > deadline:
                    raise HostNotAuthorized(
                        f'no [conductor] {self.role}_key for this host and no readable '
                        f'master key ({exc}): make one with "iaas-manage conductor '
                        f'host-key {self.host} {self.role}" on a conductor host') from None
            time.sleep(0.1)

    def __call__(self, body):
        # a nonce: two identical requests in one clock tick are still two
        payload = dumps(dict(body, sent_at=time.time(), nonce=secrets.token_hex(8)))
        return {'iaas': body.get('iaas'), 'signed': payload, 'sender': self.host,
                'role': self.role, 'sig': _mac(self.key(), self.role, self.host, payload)}


class Verifier:
    """Opens signed envelopes (``RPCServer(verifier=…)``) with host keys
    derived from the master key."""

    MAX_SEEN = 200_000      # signatures remembered (a bound on memory)

    def __init__(self, master):
        self.master = master
        self._seen = collections.OrderedDict()    # sig -> when it stops mattering
        self._lock = threading.Lock()

    def _first_time(self, sig, now):
        with self._lock:
            while self._seen and (len(self._seen) >= self.MAX_SEEN or
                                  next(iter(self._seen.values())) < now):
                self._seen.popitem(last=False)
            if sig in self._seen:
                return False
            self._seen[sig] = now + CONF.conductor.max_message_age + 60
            return True

    @staticmethod
    def peek(envelope):
        """The request inside, unverified (only to answer a refusal)."""
        try:
            body = loads(envelope['signed'])
            return body if isinstance(body, dict) else {}
        except (KeyError, TypeError, ValueError):
            return {}

    def __call__(self, envelope):
        """(request, Caller); HostNotAuthorized when unsigned, forged, of an
        unknown role or too old."""
        sender, role, payload, sig = (envelope.get(k) for k in ('sender', 'role', 'signed',
                                                                'sig'))
        if not all(isinstance(v, str) for v in (sender, role, payload, sig)):
            raise HostNotAuthorized('the conductor takes only calls signed with a host key')
        if role not in ROLES:
            raise HostNotAuthorized(f'unknown host role {role[:32]!r}')
        key = derive(self.master, sender, role).encode()
        if not hmac.compare_digest(sig, _mac(key, role, sender, payload)):
            raise HostNotAuthorized(f'bad signature for {role} host {sender[:255]}')
        body = loads(payload)
        age = time.time() - float(body.get('sent_at') or 0)
        if not -60 < age < CONF.conductor.max_message_age:
            raise HostNotAuthorized(f'a call from {sender} sent {age:.0f} s ago '
                                    f'(clocks apart, or replayed)')
        if not self._first_time(sig, time.time()):
            raise HostNotAuthorized(f'a call from {sender} replayed')
        return body, Caller(sender, role)
