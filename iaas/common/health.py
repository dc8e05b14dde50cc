"""``/healthcheck`` for load balancers: 200 ``OK`` while this node can
serve, 503 ``DOWN`` when it cannot, 503 ``DISABLED BY FILE`` while the
operator's switch file (``[metrics] healthcheck_disable_path``) exists.

Checks: ``database`` (``SELECT 1``), ``bus`` (a connection to the
transport), ``disk`` (free space of the state directories). A service
names the checks that matter to it (the object store: disk only; it does
not depend on the central database). Results are cached for
``healthcheck_cache_time`` seconds, so probes from several load balancers
cost one check per interval.

Anonymous callers get the plain word; admins (an admin token, checked by
the hook the daemon installs with :func:`set_admin_check`) and clients
from ``[metrics] allowed_networks`` who ask for it (``Accept:
application/json`` or ``?detail``) get a JSON document with each check's
result and timing.
"""
import json
import logging
import os
import shutil
import threading
import time

import sqlalchemy as sa

from iaas import rpc
from iaas.common import metrics
from iaas.conf import CONF
from iaas.db import engine

LOG = logging.getLogger(__name__)

DEFAULT_CHECKS = ('database', 'bus', 'disk')
_admin_check = [None]     # callable(token) -> bool, installed by the daemon


def set_admin_check(fn):
    """``fn(token)`` → True when the token is an admin's (None: tokens are
    not looked at)."""
    _admin_check[0] = fn


def check_database():
    with engine.get_engine().connect() as conn:
        conn.execute(sa.text('SELECT 1'))
    return {}


def check_bus():
    transport = rpc.get_transport()
    conn = transport.connection()
    try:
        conn.ensure_connection(max_retries=1, timeout=CONF.metrics.healthcheck_timeout)
    finally:
        conn.release()
    return {'transport': transport.scheme}


def state_dirs():
    dirs = [CONF.state_path, CONF.log_dir] + list(CONF.metrics.healthcheck_paths)
    return [d for d in dict.fromkeys(dirs) if d and os.path.isdir(d)]


def check_disk():
    """Free MiB of each state directory; fails below the configured minimum."""
    minimum = CONF.metrics.healthcheck_min_free_disk_mb
    out, low = {}, []
    for path in state_dirs():
        free = shutil.disk_usage(path).free // (1 << 20)
        out[path] = {'free_mb': free}
        if minimum and free < minimum:
            low.append(f'{path}: {free} MiB free (< {minimum})')
    if low:
        raise OSError('; '.join(low))
    return {'paths': out}


CHECKS = {'database': check_database, 'bus': check_bus, 'disk': check_disk}


class HealthCheck:
    """The checks of one service, run at most once per cache interval."""

    def __init__(self, checks=DEFAULT_CHECKS):
        unknown = set(checks) - set(CHECKS)
        if unknown:
            raise ValueError(f'unknown health checks: {sorted(unknown)}')
        self.checks = tuple(checks)
        self._lock = threading.Lock()
        self._result = None
        self._at = 0.0

    def run(self):
        """{'ok': bool, 'checks': {name: {'ok', 'seconds', 'error'?, …}}}."""
        results, ok = {}, True
        for name in self.checks:
            start = time.monotonic()
            try:
                entry = dict(CHECKS[name](), ok=True)
            except Exception as exc:
                entry = {'ok': False, 'error': f'{type(exc).__name__}: {exc}'[:300]}
                ok = False
                LOG.warning('health check %s failed: %s', name, entry['error'])
            entry['seconds'] = round(time.monotonic() - start, 4)
            results[name] = entry
        return {'ok': ok, 'checks': results}

    def result(self):
        """The cached result (run again once older than the cache time);
        one thread runs the checks while the others wait for it."""
        with self._lock:
            now = time.monotonic()
            if self._result is None or now - self._at >= CONF.metrics.healthcheck_cache_time:
                self._result = self.run()
                self._at = time.monotonic()
            return self._result, round(time.monotonic() - self._at, 3)


def disabled_by_file():
    path = CONF.metrics.healthcheck_disable_path
    return bool(path) and os.path.exists(path)


def privileged(environ):
    """Whether the caller may see the detail: from an allowed network, or
    with an admin token."""
    if metrics.address_allowed(environ.get('REMOTE_ADDR')):
        return True
    token = environ.get('HTTP_X_AUTH_TOKEN')
    check = _admin_check[0]
    if not token or check is None:
        return False
    try:
        return bool(check(token))
    except Exception as exc:     # a bad token is no admin
        LOG.debug('health detail refused: %s', exc)
        return False


def wants_detail(environ):
    """The detail is asked for (``Accept: application/json`` or ``?detail``):
    a plain probe gets the plain word whoever sends it, as Swift answers."""
    params = {p.split('=', 1)[0] for p in environ.get('QUERY_STRING', '').split('&')[:16]}
    return 'detail' in params or 'application/json' in environ.get('HTTP_ACCEPT', '')


def respond(checker, environ):
    """(status, headers, body) of a /healthcheck request."""
    if disabled_by_file():
        return _text(503, 'DISABLED BY FILE')
    result, age = checker.result()
    status = 200 if result['ok'] else 503
    if not (wants_detail(environ) and privileged(environ)):
        return _text(status, 'OK' if result['ok'] else 'DOWN')
    body = {'status': 'OK' if result['ok'] else 'DOWN', 'host': CONF.host,
            'checks': result['checks'], 'age_seconds': age}
    return status, [('Content-Type', 'application/json')], json.dumps(body).encode()


def _text(status, word):
    return status, [('Content-Type', 'text/plain')], word.encode()
