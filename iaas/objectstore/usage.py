"""Usage events of the object store (docs/developers/notifications.md).

* ``objectstore.account.usage``: a gauge of the bytes each account stores,
  read from the account databases of this node's devices every
  ``[notifications] objectstore_usage_interval`` seconds. An account's
  database has a copy on each of its partition's primaries; only the node
  holding the first primary reports it, so each account is reported once
  per period (as Swift's account reaper picks its work).
* ``objectstore.account.traffic``: requests and bytes served out per account
  per period, counted by the proxy in memory (:data:`traffic`, one dict
  update per request, no bus message) and flushed every
  ``[notifications] objectstore_traffic_interval`` seconds as one event per
  account that had traffic.
"""
import datetime
import logging
import os
import threading

from iaas import notifications
from iaas.conf import CONF
from iaas.objectstore.daemon import LoopService
from iaas.objectstore.storage import db as listing_db

LOG = logging.getLogger(__name__)

USAGE = 'objectstore.account.usage'
TRAFFIC = 'objectstore.account.traffic'
PUBLISHER = 'objectstore'
# accounts counted per period at most (a flood of names cannot grow memory)
MAX_ACCOUNTS = 100_000


def _now():
    return datetime.datetime.now(datetime.UTC)


class TrafficCounter:
    """Requests and bytes out per account since the last :meth:`drain`."""

    def __init__(self):
        self._lock = threading.Lock()
        self._counts = {}
        self._since = _now()
        self._overflow = False

    def add(self, account, requests=0, bytes_out=0):
        with self._lock:
            slot = self._counts.get(account)
            if slot is None:
                if len(self._counts) >= MAX_ACCOUNTS:
                    self._overflow = True
                    return
                slot = self._counts[account] = [0, 0]
            slot[0] += requests
            slot[1] += bytes_out

    def drain(self):
        """(period_start, period_end, {account: (requests, bytes_out)}), and a new
        period starts."""
        end = _now()
        with self._lock:
            counts, self._counts = self._counts, {}
            start, self._since = self._since, end
            overflow, self._overflow = self._overflow, False
        if overflow:
            LOG.warning('more than %d accounts had traffic in one period; the others '
                        'were not counted', MAX_ACCOUNTS)
        return start, end, {a: tuple(c) for a, c in counts.items()}

    # -- in the proxy --------------------------------------------------------------------
    def count(self, environ, resp, body):
        """The WSGI body ``body`` of response ``resp``, counted for its account
        when it is sent: one request, the bytes of the body. Requests of nobody
        the account could bill (refused, or anonymous and failed) are not counted."""
        try:
            account = _account(environ)
            status = resp.status_int
            if account is None or status in (401, 403) or (
                    status >= 400 and environ.get('iaas.objectstore.identity') is None
                    and not environ.get('iaas.s3.account')):
                return body
            if isinstance(body, (list, tuple)):
                # known already: the body stays a list (the server sends a
                # one-piece body with its length in one write)
                self.add(account, 1, sum(len(c) for c in body))
                return body
            return _Counted(body, self, account)
        except Exception:       # counting never fails a request
            LOG.exception('traffic of a request not counted')
            return body


def _account(environ):
    """The account a request is for: S3's (set by its auth), else /v1/<account>/…"""
    account = environ.get('iaas.s3.account')
    if account:
        return account
    path = environ.get('PATH_INFO') or ''
    if path.startswith('/v1/'):
        account = path[4:].split('/', 1)[0]
        return account or None
    return None


class _Counted:
    """A WSGI body that adds its request and its bytes once it is done."""

    def __init__(self, body, counter, account):
        self.body, self.counter, self.account = body, counter, account
        self.sent = 0
        self._done = False

    def __iter__(self):
        for chunk in self.body:
            self.sent += len(chunk)
            yield chunk
        self._finish()

    def close(self):
        try:
            close = getattr(self.body, 'close', None)
            if close is not None:
                close()
        finally:
            self._finish()

    def _finish(self):
        if not self._done:
            self._done = True
            self.counter.add(self.account, 1, self.sent)


# The proxy's counter (one per process: a process runs at most one proxy).
traffic = TrafficCounter()


def flush_traffic(counter=None):
    """Emit the traffic of the period that ends now: one event per account."""
    start, end, counts = (counter or traffic).drain()
    for account, (requests, bytes_out) in sorted(counts.items()):
        notifications.notify(None, TRAFFIC, notifications.object_account_payload(
            account, requests=requests, bytes_out=bytes_out,
            period_start=notifications.iso(start), period_end=notifications.iso(end)),
            notifications.publisher(PUBLISHER), at=end)
    return {'accounts': len(counts)}


class TrafficFlusher(LoopService):
    """The proxy's periodic flush; the period in progress is flushed on stop too."""

    def __init__(self, interval=None):
        super().__init__('traffic', flush_traffic,
                         interval or CONF.notifications.objectstore_traffic_interval)

    def stop(self, graceful_timeout=None):
        super().stop(graceful_timeout)
        try:
            flush_traffic()
        except Exception:
            LOG.exception('last traffic period not flushed')


def usage_loop(ring, interval=None):
    """The storage node's periodic objectstore.account.usage gauge."""
    return LoopService('usage', lambda: report_usage(ring),
                       interval or CONF.notifications.objectstore_usage_interval)


# -- the storage side: bytes stored per account ------------------------------------------------
def _account_dbs(devices, device):
    """(partition, path) of every account database on one device."""
    base = os.path.join(devices, device, 'accounts')
    try:
        parts = os.listdir(base)
    except OSError:
        return
    for part in parts:
        if not part.isdigit():
            continue
        part_dir = os.path.join(base, part)
        for suffix in _listdir(part_dir):
            for name_hash in _listdir(os.path.join(part_dir, suffix)):
                path = os.path.join(part_dir, suffix, name_hash, name_hash + '.db')
                if os.path.exists(path):
                    yield int(part), path


def _listdir(path):
    try:
        return os.listdir(path)
    except OSError:
        return []


def report_usage(ring, devices=None, ip=None, port=None):
    """Emit objectstore.account.usage for each live account whose first primary
    is one of this node's devices (``[objectstore] devices``, ``storage_ip``,
    ``storage_port``)."""
    oc = CONF.objectstore
    devices = devices or oc.devices
    local = ring.local_devices(ip or oc.storage_ip, port or oc.storage_port)
    reported = 0
    for dev in local:
        for part, path in _account_dbs(devices, dev['device']):
            try:
                primaries = ring.get_part_nodes(part)
                if not primaries or primaries[0]['id'] != dev['id']:
                    continue
                broker = listing_db.AccountBroker(path)
                info = broker.get_info()
                if broker.is_deleted(info) or not info.get('account'):
                    continue
            except Exception as exc:       # a database being replaced or removed
                LOG.info('account database %s skipped: %s', path, exc)
                continue
            notifications.notify(None, USAGE, notifications.object_account_payload(
                info['account'], bytes_used=int(info.get('bytes_used') or 0)),
                notifications.publisher(PUBLISHER))
            reported += 1
    return {'accounts': reported}
