"""The "objectstore" store: image data in a Swift-compatible object store
(iaas-objectstore or OpenStack Swift), spoken over plain HTTP.

Images up to ``objectstore_segment_size_mb`` are one object
``<container>/<image id>``. Larger images are split into segments
``<container>_segments/<image id>/<00000001…>``; the segment list is kept
in the location's metadata, so reading needs no server-side large-object
support (ranges are served by reading only the segments they touch).
A refused or broken upload deletes every segment it wrote.
"""
import contextlib
import threading
import urllib.parse

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import plugin
from keystoneauth1 import session as ks_session

from iaas.image.stores import CHUNK, NotFoundInStore, Store, StoreError

TIMEOUT = 60


class _FixedAuth(plugin.BaseAuthPlugin):
    """``objectstore_storage_url`` with a fixed ``objectstore_token`` (or none)."""

    def __init__(self, storage_url, token):
        super().__init__()
        self._url, self._token = storage_url.rstrip('/'), token

    def get_token(self, session, **kwargs):
        return self._token

    def get_endpoint(self, session, **kwargs):
        return self._url


class _SwiftV1Auth(plugin.BaseAuthPlugin):
    """Swift v1 auth (``X-Auth-User``/``X-Auth-Key`` → storage URL and token);
    the token is kept until a 401 invalidates it."""

    def __init__(self, auth_url, user, key):
        super().__init__()
        self._auth_url, self._user, self._key = auth_url, user, key
        self._lock = threading.Lock()
        self._auth = None       # (storage_url, token)

    def _get(self, session):
        with self._lock:
            if self._auth is None:
                r = session.get(self._auth_url, authenticated=False, raise_exc=False,
                                headers={'X-Auth-User': self._user, 'X-Auth-Key': self._key})
                if r.status_code not in (200, 204):
                    raise StoreError(f'objectstore auth failed: {r.status_code}')
                self._auth = (r.headers['X-Storage-Url'].rstrip('/'), r.headers['X-Auth-Token'])
            return self._auth

    def get_token(self, session, **kwargs):
        return self._get(session)[1]

    def get_endpoint(self, session, **kwargs):
        return self._get(session)[0]

    def invalidate(self):
        with self._lock:
            self._auth = None
        return True


class _Body:
    """A chunk iterator with a known length: requests sends it with a
    Content-Length header instead of chunked encoding."""

    def __init__(self, chunks, length):
        self._it = chunks
        self.length = length

    def __len__(self):
        return self.length

    def __iter__(self):
        return iter(self._it)


class ObjectStore(Store):
    name = 'objectstore'

    def __init__(self, conf):
        super().__init__(conf)
        self._lock = threading.Lock()
        self._ks = None         # keystoneauth1 session of the account
        self._containers = set()

    # -- auth and requests ---------------------------------------------------

    def _keystone(self):
        with self._lock:
            if self._ks is None:
                c = self.conf.image
                if c.objectstore_storage_url:
                    auth = _FixedAuth(c.objectstore_storage_url, c.objectstore_token)
                elif c.objectstore_auth_url:
                    auth = _SwiftV1Auth(c.objectstore_auth_url, c.objectstore_user or '',
                                        c.objectstore_key or '')
                else:
                    raise StoreError('objectstore store: set [image] objectstore_auth_url '
                                     '(or objectstore_storage_url)')
                self._ks = ks_session.Session(auth=auth, timeout=TIMEOUT)
            return self._ks

    def _request(self, method, path, **kw):
        """One request to the account; a 401 re-authenticates and retries once
        unless a body was being sent (it cannot be sent twice)."""
        ks = self._keystone()
        try:
            return ks.request(path, method, endpoint_filter={'service_type': 'object-store'},
                              authenticated=bool(ks.auth.get_token(ks)), raise_exc=False,
                              allow_reauth='data' not in kw, log=False, **kw)
        except ks_exc.ClientException as exc:
            raise StoreError(f'objectstore {method} failed: {exc}') from exc

    @staticmethod
    def _quote(container, obj=None):
        path = '/' + urllib.parse.quote(container, safe='')
        if obj is not None:
            path += '/' + urllib.parse.quote(obj, safe='/')   # as swiftclient does
        return path

    def _ensure_container(self, name):
        if name in self._containers:
            return
        r = self._request('PUT', self._quote(name))
        if r.status_code not in (201, 202, 204):
            raise StoreError(f'cannot create container {name}: {r.status_code}')
        self._containers.add(name)

    def _put(self, container, obj, body, length=None):
        # A body with a length goes with Content-Length, a bare generator
        # chunked (requests decides from the body).
        headers = {'Content-Type': 'application/octet-stream'}
        r = self._request('PUT', self._quote(container, obj), data=body, headers=headers)
        if r.status_code != 201:
            raise StoreError(f'PUT {container}/{obj} failed: {r.status_code} {r.text[:200]}')

    def _delete(self, container, obj):
        r = self._request('DELETE', self._quote(container, obj))
        if r.status_code not in (204, 404):
            raise StoreError(f'DELETE {container}/{obj} failed: {r.status_code}')

    # -- store API -----------------------------------------------------------

    @property
    def container(self):
        return self.conf.image.objectstore_container

    def add(self, image_id, chunks, size=None):
        seg_size = self.conf.image.objectstore_segment_size_mb << 20
        self._ensure_container(self.container)
        if size is not None and size <= seg_size:
            it = _Rechunker(iter(chunks))
            try:
                self._put(self.container, image_id, _Body(it.take(size), size), size)
                # reach the iterator's end: the caller's final checks run there
                for _ in it.take(None):
                    raise StoreError('more data than announced')
            except BaseException:
                with contextlib.suppress(Exception):
                    self._delete(self.container, image_id)
                raise
            return f'swift://{self.container}/{image_id}', {}
        seg_container = self.container + '_segments'
        self._ensure_container(seg_container)
        segments = []
        it = _Rechunker(iter(chunks))
        try:
            while True:
                first = it.peek()
                if first is None:
                    break
                name = f'{image_id}/{len(segments) + 1:08d}'
                if size is not None:
                    length = min(seg_size, size - sum(s[1] for s in segments))
                    self._put(seg_container, name, _Body(it.take(length), length), length)
                    n = length
                else:
                    counter = [0]
                    self._put(seg_container, name, _counting(it.take(seg_size), counter))
                    n = counter[0]
                segments.append((name, n))
                if size is not None and sum(s[1] for s in segments) >= size:
                    # drain: the caller's iterator must reach its end (checks run there)
                    for _ in it.take(None):
                        raise StoreError('more data than announced')
                    break
        except BaseException:
            for name, _ in segments:
                with contextlib.suppress(Exception):
                    self._delete(seg_container, name)
            raise
        meta = {'segment_container': seg_container,
                'segments': [name for name, _ in segments],
                'sizes': [n for _, n in segments]}
        return f'swift://{self.container}/{image_id}', meta

    def get(self, url, meta, offset=0, length=None):
        container, obj = self._parse(url)
        if not meta.get('segments'):
            return self._get_object(container, obj, offset, length)
        return self._get_segmented(meta, offset, length)

    def _get_object(self, container, obj, offset=0, length=None):
        headers = {}
        if offset or length is not None:
            end = '' if length is None else str(offset + length - 1)
            headers['Range'] = f'bytes={offset}-{end}'
        r = self._request('GET', self._quote(container, obj), headers=headers, stream=True)
        if r.status_code == 404:
            raise NotFoundInStore(f'image data {container}/{obj} is missing')
        if r.status_code not in (200, 206):
            raise StoreError(f'GET {container}/{obj} failed: {r.status_code}')
        if r.status_code == 200 and offset:
            raise StoreError('object store ignored the Range header')
        return _iter_response(r)

    def _get_segmented(self, meta, offset, length):
        pos, end = 0, None if length is None else offset + length
        container = meta['segment_container']
        for name, n in zip(meta['segments'], meta['sizes'], strict=True):
            seg_start, seg_end = pos, pos + n
            pos = seg_end
            if seg_end <= offset:
                continue
            if end is not None and seg_start >= end:
                break
            lo = max(offset - seg_start, 0)
            hi = n if end is None else min(end - seg_start, n)
            yield from self._get_object(container, name, lo, hi - lo)

    def delete(self, url, meta):
        container, obj = self._parse(url)
        if meta.get('segments'):
            for name in meta['segments']:
                self._delete(meta['segment_container'], name)
        else:
            self._delete(container, obj)

    @staticmethod
    def _parse(url):
        if not url.startswith('swift://'):
            raise StoreError(f'not an objectstore location: {url}')
        container, _, obj = url[len('swift://'):].partition('/')
        return container, obj


def _iter_response(r):
    try:
        yield from r.iter_content(CHUNK)
    finally:
        r.close()


def _counting(chunks, counter):
    for c in chunks:
        counter[0] += len(c)
        yield c


class _Rechunker:
    """Splits a chunk iterator at arbitrary byte counts."""

    def __init__(self, it):
        self._it = it
        self._pending = None

    def peek(self):
        if self._pending is None:
            try:
                self._pending = next(self._it)
                while not self._pending:
                    self._pending = next(self._it)
            except StopIteration:
                self._pending = None
        return self._pending

    def take(self, n):
        """Yield exactly ``n`` bytes (or up to the end); ``None``: everything."""
        while n is None or n > 0:
            chunk = self.peek()
            if chunk is None:
                return
            if n is not None and len(chunk) > n:
                self._pending = chunk[n:]
                chunk = chunk[:n]
            else:
                self._pending = None
            if n is not None:
                n -= len(chunk)
            yield chunk
