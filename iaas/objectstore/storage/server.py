"""The storage server: objects, container listings and account listings of
this node's devices, plus the replication endpoints.

    /obj/<dev>/<part>/<a>/<c>/<o>      PUT GET HEAD POST DELETE
    /cont/<dev>/<part>/<a>/<c>         PUT GET HEAD POST DELETE
    /cont/<dev>/<part>/<a>/<c>/<o>     PUT DELETE   (listing row from an object server)
    /acct/<dev>/<part>/<a>             PUT GET HEAD POST
    /acct/<dev>/<part>/<a>/<c>         PUT          (a container's totals)
    /repl/...                          see replication.py
"""
import json
import logging
import os
import time

import webob

from iaas.common import metrics
from iaas.objectstore import footer, ranges
from iaas.objectstore.ring import hash_path
from iaas.objectstore.storage import db, diskfile, replication, updates
from iaas.objectstore.utils import failed_precondition, http_date, normalize_timestamp, split_path

LOG = logging.getLogger(__name__)
CHUNK = 1 << 20   # upload reads (the disk is kept busy by write-back: diskfile.WRITEBACK_EVERY)
VERIFY_MAX = 8 * 1024 * 1024   # GETs of objects up to this size verify the MD5

# the request headers an object keeps (its ETag is the one computed, not the request's)
OBJ_KEEP = ('content-type', 'content-disposition', 'content-encoding', 'x-delete-at',
            'x-object-manifest', 'x-static-large-object', 'cache-control',
            'content-language', 'expires', 'x-robots-tag')
# the stored headers a GET/HEAD answers with (besides metadata, type and ETag)
OBJ_SHOWN = frozenset(OBJ_KEEP[1:])


def text(status, body=''):
    return webob.Response(status=status, body=body.encode(), content_type='text/plain',
                          charset=None)


def _count(req, resp):
    """An operation in the metrics, with the object bytes it moved."""
    kind = req.path_info.lstrip('/').partition('/')[0]
    ok = kind == 'obj' and resp.status_int < 300
    metrics.objectstore_op(
        kind, req.method, resp.status_int,
        bytes_in=(req.content_length or 0) if ok and req.method == 'PUT' else 0,
        bytes_out=(resp.content_length or 0) if ok and req.method == 'GET' else 0)


class DeviceUnavailable(Exception):
    """The device a request names is not mounted here (507). Any other
    missing file is a fault of this server, logged with its traceback."""


class StorageServer:
    # /healthcheck of its port: the devices' disks (no central database)
    health_checks = ('disk',)

    def __init__(self, devices, ring=None, fsync=True, max_file_size=5 * 1024 ** 3,
                 addr=None, listing_limit=10000, direct_io=True):
        self.devices = devices
        self.ring = ring
        self.fsync = fsync
        self.direct_io = direct_io     # [objectstore] direct_io
        self.max_file_size = max_file_size
        self.addr = addr
        self.listing_limit = listing_limit
        self.updates = updates.Updates(self)
        self.repl = replication.ReplicationHandler(self)

    def device_path(self, dev):
        if not dev or '/' in dev or dev.startswith('.'):
            raise ValueError('bad device')
        path = os.path.join(self.devices, dev)
        if not os.path.isdir(path):
            raise DeviceUnavailable(dev)
        return path

    def __call__(self, environ, start_response):
        req = webob.Request(environ)
        try:
            resp = self.handle(req)
        except ValueError as exc:
            resp = text(400, str(exc))
        except DeviceUnavailable:
            resp = text(507, 'device not available')
        except Exception as exc:
            if diskfile.no_space(exc):
                # this device is full: it refuses the write, the proxy goes on
                LOG.warning('%s %s: device full (%s)', req.method, req.path, exc)
                resp = text(507, 'Insufficient Storage')
                resp.headers['X-Backend-No-Space'] = 'true'
            else:
                LOG.exception('%s %s failed', req.method, req.path)
                resp = text(500, 'internal error')
        _count(req, resp)
        return resp(environ, start_response)

    @staticmethod
    def metrics_route(environ):
        """The route label of a request (iaas.common.observe): its kind."""
        return '/' + environ.get('PATH_INFO', '').lstrip('/').partition('/')[0]

    def handle(self, req):
        kind, _, rest = req.path_info.lstrip('/').partition('/')
        if kind == 'repl':
            return self.repl.handle(req, rest)
        if kind == 'obj':
            dev, part, a, c, o = split_path(rest, 5, 5, True)
            handler = getattr(self, f'object_{req.method}', None)
            args = (dev, int(part), a, c, o)
        elif kind == 'cont':
            dev, part, a, c, o = split_path(rest, 4, 5, True)
            if o is not None:
                handler = getattr(self, f'listing_{req.method}', None)
                args = (dev, int(part), a, c, o)
            else:
                handler = getattr(self, f'container_{req.method}', None)
                args = (dev, int(part), a, c)
        elif kind == 'acct':
            dev, part, a, c = split_path(rest, 3, 4, True)
            if c is not None:
                handler = self.account_report if req.method == 'PUT' else None
                args = (dev, int(part), a, c)
            else:
                handler = getattr(self, f'account_{req.method}', None)
                args = (dev, int(part), a)
        else:
            return text(404)
        if handler is None:
            return text(405)
        return handler(req, *args)

    def _hash(self, a, c=None, o=None):
        prefix, suffix = ('', 'iaas') if self.ring is None else (
            self.ring.hash_prefix, self.ring.hash_suffix)
        return hash_path(a, c, o, prefix, suffix)

    # --- objects ---------------------------------------------------------------
    def _diskfile(self, dev, part, a, c, o):
        return diskfile.DiskFile(self.device_path(dev), part, self._hash(a, c, o), self.fsync)

    def object_PUT(self, req, dev, part, a, c, o):
        ts = _timestamp(req)
        df = self._diskfile(dev, part, a, c, o)
        newest = df.newest_timestamp()
        if newest and newest >= ts:
            return text(409, f'newer object exists ({newest})',)
        length = req.content_length
        with_footer = req.headers.get(footer.HEADER)
        if with_footer is not None:
            # the proxy's MD5 and CRC-32 follow the data (iaas.objectstore.footer)
            if with_footer != footer.KIND or length is None or length < footer.SIZE:
                return text(400, f'bad {footer.HEADER}')
            length -= footer.SIZE
        if length is not None and length > self.max_file_size:
            return text(413, 'object too large')
        writer = df.writer(footer.CRC32() if with_footer else None)
        try:
            if length:
                writer.preallocate(length)
            inp = req.environ['wsgi.input']
            etag, refused = None, self._receive(inp, writer, length)
            if refused is None:
                etag, refused = _check_footer(inp, writer) if with_footer else \
                    (writer.checksum.hexdigest(), None)
            want = req.headers.get('ETag', '').strip('"').lower()
            if refused is None and want and want != etag and not (
                    with_footer and want == footer.UNKNOWING):
                refused = (422, 'ETag does not match the data')
            if refused is not None:
                writer.abort()
                return text(*refused)
            meta = {k: v for k, v in req.headers.items()
                    if k.lower() in OBJ_KEEP or k.lower().startswith(('x-object-meta-',
                                                                      'x-object-sysmeta-'))}
            meta['name'] = f'/{a}/{c}/{o}'
            meta['ETag'] = etag
            meta.setdefault('Content-Type', 'application/octet-stream')
            meta = writer.commit(ts, meta)
        except BaseException:
            writer.abort()
            raise
        self.updates.container_update(req, dev, part, a, c, o, ts, 'PUT', meta)
        if meta.get('X-Delete-At'):
            self.updates.expiring_add(dev, part, a, c, o, meta['X-Delete-At'], req)
        return webob.Response(status=201, headers={'ETag': etag}, body=b'')

    def _receive(self, inp, writer, length):
        """Read ``length`` bytes of an upload (all of it when None) into
        ``writer``; None, or the (status, text) refusing it."""
        readinto = getattr(inp, 'readinto', None)
        # a big upload: one aligned buffer for all of it, no copies, and
        # whole blocks written past the page cache (diskfile.DIRECT_MIN)
        buf = diskfile.aligned_buffer(CHUNK) if readinto is not None and \
            self.direct_io and (length or 0) >= diskfile.DIRECT_MIN else None
        left = length
        while left is None or left > 0:
            want = CHUNK if left is None else min(CHUNK, left)
            if buf is not None:
                chunk = buf[:readinto(buf[:want])]
            else:
                chunk = inp.read(want)
            if not chunk:
                break
            writer.write(chunk, aligned=buf is not None)
            if left is not None:
                left -= len(chunk)
            if writer.size > self.max_file_size:
                return 413, 'object too large'
        if left:
            return 499, 'client disconnected'
        return None

    def _open(self, req, dev, part, a, c, o):
        df = self._diskfile(dev, part, a, c, o)
        try:
            reader = df.open()
        except diskfile.NotFound as nf:
            resp = text(404)
            if nf.timestamp:
                resp.headers['X-Backend-Timestamp'] = nf.timestamp
            return None, resp
        delete_at = reader.meta.get('X-Delete-At')
        if delete_at and int(delete_at) <= time.time() and \
                'X-Backend-Replication' not in req.headers:
            reader.close()
            return None, text(404)
        return reader, None

    def object_GET(self, req, dev, part, a, c, o):
        reader, resp = self._open(req, dev, part, a, c, o)
        if reader is None:
            return resp
        meta = reader.meta
        resp = webob.Response(conditional_response=True, charset=None)
        resp.app_iter = FileIter(reader, req.method == 'HEAD')
        resp.content_length = reader.length
        resp.headers['Content-Type'] = meta.get('Content-Type', 'application/octet-stream')
        for k, v in meta.items():
            lk = k.lower()
            if lk.startswith(('x-object-meta-', 'x-object-sysmeta-')) or lk in OBJ_SHOWN:
                resp.headers[k] = v
        resp.etag = meta['ETag']
        resp.headers['Last-Modified'] = http_date(
            int(float(meta.get('X-Meta-Timestamp', meta['X-Timestamp'])) + 0.999999))
        resp.headers['X-Timestamp'] = meta['X-Timestamp']
        resp.headers['X-Backend-Timestamp'] = meta['X-Timestamp']
        resp.headers['Accept-Ranges'] = 'bytes'
        lm = int(float(meta.get('X-Meta-Timestamp', meta['X-Timestamp'])) + 0.999999)
        if failed_precondition(req, meta['ETag'], lm):
            reader.close()
            return text(412)
        spec = ranges.specs(req.headers.get('Range')) if req.method == 'GET' else None
        if spec is not None and len(spec) == 1:
            # one range as Swift reads it (a suffix longer than the object
            # is the whole object, not webob's 416)
            return _single_range(resp, reader, spec)
        return resp

    object_HEAD = object_GET

    def object_POST(self, req, dev, part, a, c, o):
        ts = _timestamp(req)
        reader, resp = self._open(req, dev, part, a, c, o)
        if reader is None:
            return resp
        reader.close()
        if reader.meta.get('X-Meta-Timestamp', reader.meta['X-Timestamp']) >= ts:
            return text(409)
        # the sysmeta a POST sets (the proxy passes only the S3 layer's) or
        # an earlier .meta held is kept; user metadata is replaced
        meta = {k: v for k, v in reader.meta.items() if k.lower().startswith('x-object-sysmeta-')}
        meta.update((k, v) for k, v in req.headers.items()
                    if k.lower().startswith(('x-object-meta-', 'x-object-sysmeta-'))
                    or k.lower() in diskfile.POST_KEYS)
        if not any(k.lower() == 'content-type' for k in meta) and \
                reader.meta.get('Content-Type'):
            # no type given: the one set by an earlier POST stays (Swift)
            meta['Content-Type'] = reader.meta['Content-Type']
        self._diskfile(dev, part, a, c, o).write_meta(ts, meta)
        if meta.get('Content-Type') and \
                meta['Content-Type'] != reader.meta.get('Content-Type'):
            # the listing shows the new type (Swift updates the row on POST)
            row = dict(reader.meta, **{'Content-Type': meta['Content-Type'],
                                       'Content-Length': str(reader.length)})
            self.updates.container_update(req, dev, part, a, c, o, ts, 'PUT', row)
        if meta.get('X-Delete-At'):
            self.updates.expiring_add(dev, part, a, c, o, meta['X-Delete-At'], req)
        return text(202)

    def object_DELETE(self, req, dev, part, a, c, o):
        ts = _timestamp(req)
        df = self._diskfile(dev, part, a, c, o)
        newest = df.newest_timestamp()
        if newest and newest >= ts:
            return text(409)
        existed = newest is not None and not os.path.exists(
            os.path.join(df.dir, f'{newest}.ts'))
        if req.headers.get('X-If-Delete-At'):
            try:
                reader = df.open()
            except diskfile.NotFound:
                return text(404)
            reader.close()
            if reader.meta.get('X-Delete-At') != req.headers['X-If-Delete-At']:
                return text(412)
        df.write_tombstone(ts, f'/{a}/{c}/{o}')
        self.updates.container_update(req, dev, part, a, c, o, ts, 'DELETE', {})
        return text(204 if existed else 404)

    # --- container listing rows -----------------------------------------------
    def _container(self, dev, part, a, c):
        path = db.db_path(self.device_path(dev), 'containers', part, self._hash(a, c))
        return db.ContainerBroker(path)

    def listing_PUT(self, req, dev, part, a, c, o):
        broker = self._container(dev, part, a, c)
        if not broker.exists():
            return text(404)
        broker.put_object(o, _timestamp(req), int(req.headers.get('X-Size', 0)),
                          req.headers.get('X-Content-Type', ''),
                          req.headers.get('X-Etag', ''))
        self.updates.container_changed(broker.path)
        return text(201)

    def listing_DELETE(self, req, dev, part, a, c, o):
        broker = self._container(dev, part, a, c)
        if not broker.exists():
            return text(404)
        broker.put_object(o, _timestamp(req), 0, '', '', deleted=1)
        self.updates.container_changed(broker.path)
        return text(204)

    def put_listing_local(self, dev, part, a, c, o, ts, op, meta):
        """The object server's listing update when the container DB is here."""
        try:
            broker = self._container(dev, part, a, c)
        except (ValueError, DeviceUnavailable):
            return False
        if not broker.exists():
            return False
        if op == 'PUT':
            broker.put_object(o, ts, int(meta['Content-Length']),
                              meta.get('Content-Type', ''), meta['ETag'])
        else:
            broker.put_object(o, ts, 0, '', '', deleted=1)
        self.updates.container_changed(broker.path)
        return True

    # --- containers ------------------------------------------------------------
    def container_PUT(self, req, dev, part, a, c):
        ts = _timestamp(req)
        broker = self._container(dev, part, a, c)
        created = broker.initialize(ts, {'account': a, 'container': c, 'put_timestamp': ts})
        if not created:
            was_deleted = broker.is_deleted()
            broker.update_put_timestamp(ts)
            created = was_deleted and not broker.is_deleted()
        broker.update_metadata(_meta_updates(req, 'container', ts))
        self.updates.container_changed(broker.path, now=True)
        return text(201 if created else 202)

    def container_POST(self, req, dev, part, a, c):
        broker = self._container(dev, part, a, c)
        if not broker.exists() or broker.is_deleted():
            return text(404)
        ts = _timestamp(req)
        broker.update_metadata(_meta_updates(req, 'container', ts))
        broker.update_put_timestamp(ts)      # a POST changes Last-Modified (Swift)
        return text(204)

    def container_DELETE(self, req, dev, part, a, c):
        broker = self._container(dev, part, a, c)
        if not broker.exists():
            return text(404)
        info = broker.get_info()
        if broker.is_deleted(info):
            return text(404)
        if info['object_count']:
            return text(409, 'There was a conflict when trying to complete your request.')
        ts = _timestamp(req)
        broker.update_delete_timestamp(ts)
        # As Swift: a deleted container forgets its metadata and ACLs, so one
        # created again under the same name starts without them.
        broker.update_metadata({k: ('', ts) for k, (v, _t) in info['metadata'].items() if v})
        self.updates.container_changed(broker.path, now=True)
        return text(204)

    def container_GET(self, req, dev, part, a, c):
        broker = self._container(dev, part, a, c)
        if not broker.exists():
            return text(404)
        info = broker.get_info()
        if broker.is_deleted(info):
            resp = text(404)
            resp.headers['X-Backend-Timestamp'] = info['delete_timestamp']
            return resp
        headers = {'X-Container-Object-Count': str(info['object_count']),
                   'X-Container-Bytes-Used': str(info['bytes_used']),
                   'X-Timestamp': info['created_at'],
                   'X-PUT-Timestamp': info['put_timestamp'],
                   'X-Backend-Timestamp': info['put_timestamp']}
        headers.update(_meta_headers(info))
        return self._listing(req, broker, headers)

    container_HEAD = container_GET

    # --- accounts --------------------------------------------------------------
    def _account(self, dev, part, a):
        path = db.db_path(self.device_path(dev), 'accounts', part, self._hash(a))
        return db.AccountBroker(path)

    def account_PUT(self, req, dev, part, a):
        ts = _timestamp(req)
        broker = self._account(dev, part, a)
        created = broker.initialize(ts, {'account': a, 'put_timestamp': ts})
        broker.update_metadata(_meta_updates(req, 'account', ts))
        return text(201 if created else 202)

    def account_POST(self, req, dev, part, a):
        ts = _timestamp(req)
        broker = self._account(dev, part, a)
        broker.initialize(ts, {'account': a, 'put_timestamp': ts})
        broker.update_metadata(_meta_updates(req, 'account', ts))
        return text(204)

    def account_report(self, req, dev, part, a, c):
        broker = self._account(dev, part, a)
        broker.initialize(normalize_timestamp(), {'account': a, 'put_timestamp': '0'})
        h = req.headers
        broker.put_container(c, h['X-Put-Timestamp'], h.get('X-Delete-Timestamp', '0'),
                             h.get('X-Object-Count', 0), h.get('X-Bytes-Used', 0))
        return text(201)

    def account_GET(self, req, dev, part, a):
        broker = self._account(dev, part, a)
        if not broker.exists():
            return text(404)
        info = broker.get_info()
        headers = {'X-Account-Container-Count': str(info['container_count']),
                   'X-Account-Object-Count': str(info['object_count']),
                   'X-Account-Bytes-Used': str(info['bytes_used']),
                   'X-Timestamp': info['created_at'],
                   'X-PUT-Timestamp': info['put_timestamp']}
        headers.update(_meta_headers(info))
        return self._listing(req, broker, headers)

    account_HEAD = account_GET

    def _listing(self, req, broker, headers):
        if req.method == 'HEAD':
            return webob.Response(status=204, headers=headers)
        p = req.GET
        try:
            limit = min(int(p.get('limit', self.listing_limit)), self.listing_limit)
        except ValueError:
            return text(412, 'Value of limit must be an integer')
        prefix, delimiter, path = p.get('prefix', ''), p.get('delimiter', ''), p.get('path')
        if path is not None:     # the direct children of a "directory"
            prefix = path.rstrip('/') + '/' if path else ''
            delimiter = '/'
        rows = broker.list(limit, p.get('marker', ''), p.get('end_marker', ''),
                           prefix, delimiter,
                           p.get('reverse', '').lower() in ('1', 'true', 'yes', 'on'),
                           path=path is not None)
        body = json.dumps(rows).encode()
        return webob.Response(status=200, headers=headers, body=body,
                              content_type='application/json', charset=None)


def _check_footer(inp, writer):
    """(the proxy's MD5, None) when the footer after the data holds the
    CRC-32 of what ``writer`` received; else (None, the refusal)."""
    raw = b''
    while len(raw) < footer.SIZE:
        more = inp.read(footer.SIZE - len(raw))
        if not more:
            return None, (499, 'client disconnected')
        raw += more
    try:
        etag, crc = footer.parse(raw)
    except ValueError as exc:
        return None, (400, str(exc))
    if crc != writer.checksum.value:
        return None, (422, 'Checksum does not match the data')
    return etag, None


def _single_range(resp, reader, spec):
    rs = ranges.satisfiable(spec, reader.length)
    resp.conditional_response = False
    if not rs:
        reader.close()
        resp.status = 416
        resp.app_iter = []
        resp.content_length = 0
        resp.headers['Content-Range'] = f'bytes */{reader.length}'
        return resp
    start, stop = rs[0]
    resp.status = 206
    resp.app_iter = reader.iter_range(start, stop)
    resp.content_length = stop - start
    resp.headers['Content-Range'] = ranges.content_range(start, stop, reader.length)
    return resp


class FileIter:
    """App iter over an open object; webob calls app_iter_range for Range."""

    def __init__(self, reader, head=False):
        self.reader, self.head = reader, head

    def __iter__(self):
        if self.head:
            self.reader.close()
            return iter(())
        # Whole reads of small objects are checked against their ETag on the
        # way out (a mismatch quarantines the file); big ones are left to the
        # auditor, as hashing would halve their read throughput.
        return self.reader.iter_range(0, None, check_md5=self.reader.length <= VERIFY_MAX)

    def app_iter_range(self, start, stop):
        if self.head:
            self.reader.close()
            return iter(())
        return self.reader.iter_range(start, stop)

    def close(self):
        self.reader.close()


def _timestamp(req):
    ts = req.headers.get('X-Timestamp')
    if not ts:
        raise ValueError('X-Timestamp is required')
    try:
        return normalize_timestamp(ts)
    except ValueError:
        raise ValueError('bad X-Timestamp') from None


def _meta_updates(req, kind, ts):
    out = {}
    for k, v in req.headers.items():
        lk = k.lower()
        if lk.startswith((f'x-{kind}-meta-', f'x-{kind}-sysmeta-')) or lk in (
                'x-container-read', 'x-container-write', 'x-versions-location',
                'x-container-sync-key', 'x-account-meta-temp-url-key'):
            out[_title(k)] = (v, ts)
        elif lk.startswith(f'x-remove-{kind}-meta-'):
            out[_title(f'x-{kind}-meta-' + lk[len(f'x-remove-{kind}-meta-'):])] = ('', ts)
        elif lk in ('x-remove-container-read', 'x-remove-container-write',
                    'x-remove-container-sync-key'):
            out[_title('x-' + lk[len('x-remove-'):])] = ('', ts)
    return out


def _title(k):
    return '-'.join(p.capitalize() for p in k.split('-'))


def _meta_headers(info):
    return {k: v for k, (v, _ts) in info['metadata'].items() if v != ''}
