"""The backup engine's object store: one container of a Swift-compatible
object store (iaas-objectstore or OpenStack Swift), spoken over HTTP.

Credentials are the service account's keystoneauth1 session
(:func:`iaas.common.service_auth.get_client`, ``[service_user]``): its
token goes with every request, its catalog gives the ``object-store``
endpoint unless ``[backup] swift_url`` names the account. Tests and tools
that hold a Swift v1 token use :class:`StaticAuth` instead (the same
interface: ``session``, ``headers()``, ``endpoint()``).

Every PUT carries the MD5 of its data as ``ETag`` (the object server refuses
a body that does not match it with 422) and the ETag answered is checked.
5xx answers, 408/422, connection errors and timeouts are retried with
exponential backoff (``[backup] retries``, ``retry_backoff``); a GET or
DELETE of a missing object is :class:`~iaas.volume.backup.engine.ObjectNotFound`
/ fine.

Throughput: the engine's workers share one keep-alive connection pool of
``[backup] workers + 2`` connections to the object store, and a GET reads
its body in one piece. What the object store sustains bounds the rest
(``tools/bench/backup.py --objectstore`` prints its raw PUT/GET rates).
"""
import hashlib
import logging
import threading
import time
import urllib.parse

import requests
import urllib3

from iaas.common import service_auth
from iaas.volume.backup.engine import ObjectNotFound, StoreError

LOG = logging.getLogger(__name__)
RETRIABLE = (408, 422, 429)     # 422: the data arrived damaged (ETag mismatch)
LIST_LIMIT = 10000


class StaticAuth:
    """A storage URL and a fixed token (Swift v1 auth, tests, the benchmark),
    with the interface of :class:`iaas.common.service_auth.ServiceClient`."""

    def __init__(self, storage_url, token=None, pool_size=16):
        self.storage_url = storage_url.rstrip('/')
        self._token = token
        self.session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=pool_size)
        self.session.mount('http://', adapter)
        self.session.mount('https://', adapter)

    def headers(self, extra=None):
        h = {'X-Auth-Token': self._token} if self._token else {}
        return {**h, **(extra or {})}

    def endpoint(self, service_type):
        return self.storage_url


class SwiftStore:
    """The store interface of the backup engine over one container."""

    def __init__(self, container, auth=None, url=None, retries=5, backoff=0.5, timeout=120,
                 pool_size=None):
        if not container or '/' in container:
            raise StoreError(f'invalid container name {container!r}')
        self.container = container
        self._auth = auth if auth is not None else service_auth.get_client()
        self._url = url.rstrip('/') if url else None
        self._retries, self._backoff, self._timeout = retries, backoff, timeout
        self._container_ok = False
        # keep-alive connections to the object store: one per concurrent request
        self._pool_size, self._pool_lock, self._pooled = pool_size, threading.Lock(), set()

    @classmethod
    def from_conf(cls, conf, auth=None):
        c = conf.backup
        return cls(c.container, auth=auth, url=c.swift_url, retries=c.retries,
                   backoff=c.retry_backoff, timeout=c.timeout, pool_size=c.workers + 2)

    # -- requests ------------------------------------------------------------------

    def _base(self):
        if self._url:
            return self._url
        try:
            return self._auth.endpoint('object-store')
        except service_auth.ServiceAuthError as exc:
            raise StoreError(f'no object store: {exc}') from exc

    def _path(self, name=None):
        path = '/' + urllib.parse.quote(self.container, safe='')
        if name is not None:
            path += '/' + urllib.parse.quote(name, safe='/')
        return path

    def _session(self, base):
        """The session, with a connection pool of ``pool_size`` keep-alive
        connections mounted for the object store's address (requests keeps
        10 per host by default: more concurrent requests would each open a
        new connection and drop it after the request)."""
        session = self._auth.session
        if not self._pool_size:
            return session
        parts = urllib.parse.urlsplit(base)
        prefix = f'{parts.scheme}://{parts.netloc}/'
        key = (id(session), prefix)
        if key not in self._pooled:
            with self._pool_lock:
                if key not in self._pooled and hasattr(session, 'mount'):
                    session.mount(prefix, requests.adapters.HTTPAdapter(
                        pool_connections=1, pool_maxsize=self._pool_size))
                self._pooled.add(key)
        return session

    def _request(self, method, name=None, *, done, data=None, headers=None, params=None,
                 body=False):
        """Send until ``done(response)`` is true (then return the response).
        ``done`` may also return a reason to retry; otherwise a status that
        is neither 5xx nor retriable, or spent retries, raise StoreError.
        ``body``: the response of a 200 is streamed and read in one piece
        into ``response.body`` (requests' ``content`` reads 10 KiB pieces:
        three times the CPU for chunk-size objects), retried like the rest."""
        base = self._base()
        url = base + self._path(name)
        session = self._session(base)
        what = f'{method} {self.container}/{name or ""}'
        problem = ''
        for attempt in range(self._retries + 1):
            if attempt:
                delay = self._backoff * 2 ** (attempt - 1)
                LOG.warning('%s failed (%s); retry %d/%d in %.1f s', what, problem, attempt,
                            self._retries, delay)
                time.sleep(delay)
            try:
                kw = {'stream': True} if body else {}
                r = session.request(method, url, data=data, params=params,
                                    headers=self._auth.headers(headers),
                                    timeout=self._timeout, **kw)
                if body:
                    r.body = _read_body(r)
            except service_auth.ServiceAuthError as exc:
                raise StoreError(f'{what}: {exc}') from exc
            except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
                problem = f'{type(exc).__name__}: {exc}'
                continue
            ok = done(r)
            if ok is True:
                return r
            problem = ok or f'{r.status_code} {r.text[:200]!r}'
            if not ok and r.status_code < 500 and r.status_code not in RETRIABLE:
                break
        raise StoreError(f'{what} failed: {problem}')

    # -- the store interface -------------------------------------------------------

    def ensure_container(self):
        if self._container_ok:
            return
        self._request('PUT', done=lambda r: r.status_code in (201, 202, 204))
        self._container_ok = True

    def put(self, name, data):
        md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()

        def done(r):
            if r.status_code != 201:
                return False
            got = r.headers.get('ETag', '').strip('"').lower()
            if got and got != md5:      # it stored something else than we sent: again
                return f'201 with ETag {got}, {md5} sent'
            return True
        self._request('PUT', name, data=data, done=done,
                      headers={'ETag': md5, 'Content-Type': 'application/octet-stream'})

    def get(self, name):
        r = self._request('GET', name, done=lambda r: r.status_code in (200, 404), body=True)
        if r.status_code == 404:
            raise ObjectNotFound(f'object {self.container}/{name} not found')
        return r.body

    def delete(self, name):
        self._request('DELETE', name, done=lambda r: r.status_code in (204, 404))

    def list(self, prefix=''):
        out, marker = [], ''
        while True:
            r = self._request('GET', params={'format': 'json', 'prefix': prefix,
                                             'marker': marker, 'limit': LIST_LIMIT},
                              done=lambda r: r.status_code in (200, 204, 404))
            if r.status_code == 404:
                return out
            page = [o['name'] for o in r.json()] if r.status_code == 200 else []
            if not page:
                return out
            out.extend(page)
            marker = page[-1]


def _read_body(r):
    """The whole body of a streamed response in one read (urllib3 checks
    it against Content-Length), the connection back to the pool; any other
    status: read as usual (``r.content``, the error text)."""
    raw = getattr(r, 'raw', None)
    if r.status_code != 200 or raw is None or not hasattr(raw, 'release_conn'):
        return r.content
    try:
        data = raw.read()
    except BaseException:
        r.close()
        raise
    raw.release_conn()
    return data
