"""Swift object requests at the proxy: GET/HEAD from the first healthy
replica, PUT streamed to every replica at once (quorum), POST, DELETE,
COPY and X-Copy-From."""
import mimetypes
import queue
import threading
import time
import urllib.parse

import webob

from iaas.api.objectstore import listing
from iaas.api.objectstore.errors import HTTPError
from iaas.objectstore import client, footer, ranges
from iaas.objectstore.cluster import best_status, quorum
from iaas.objectstore.utils import check_metadata, http_date, normalize_timestamp, s3_sysmeta

CHUNK = 1 << 20          # reads from storage nodes
# Pieces of an upload handed to the replicas: 1 MiB (Swift: 64 KiB) costs
# a sixteenth of the per-piece work (reads, queue hand-offs, sends); each
# replica's queue holds at most SENDER_QUEUE of them (4 MiB, as before).
PUT_CHUNK = 1 << 20
SENDER_QUEUE = 4
PASS_HEADERS = ('Content-Length', 'Content-Type', 'ETag', 'Last-Modified', 'X-Timestamp',
                'Content-Range', 'Accept-Ranges', 'Content-Disposition', 'Content-Encoding',
                'X-Delete-At', 'X-Object-Manifest', 'X-Static-Large-Object',
                'Cache-Control', 'Content-Language', 'Expires', 'X-Robots-Tag')
# What a client may store with an object besides X-Object-Meta-* (Swift's
# object server allowed_headers)
USER_HEADERS = ('content-type', 'content-disposition', 'content-encoding', 'x-delete-at',
                'x-object-manifest', 'cache-control', 'content-language', 'expires',
                'x-robots-tag')


class BackendIter:
    """Streams a storage node's response body; gives the connection back at the end."""

    def __init__(self, bc, resp):
        self.bc, self.resp, self.done = bc, resp, False

    def __iter__(self):
        try:
            while True:
                chunk = self.resp.read(CHUNK)
                if not chunk:
                    break
                yield chunk
            self.done = True
            self.bc.release()
        finally:
            if not self.done:
                self.bc.close()

    def close(self):
        if not self.done:
            self.done = True
            self.bc.close()

    def read_all(self):
        return b''.join(self)


class ChunkWorker:
    """Takes an upload's chunks one by one, in its own thread when asked
    (the socket sends and hashing below release the GIL)."""

    def __init__(self, threaded):
        self.q = queue.Queue(maxsize=SENDER_QUEUE) if threaded else None
        self.thread = None
        if threaded:
            self.thread = threading.Thread(target=self._run, daemon=True,
                                           name=f'objstore-put-{type(self).__name__.lower()}')
            self.thread.start()

    def take(self, chunk):
        raise NotImplementedError

    def _run(self):
        while True:
            chunk = self.q.get()
            if chunk is None:
                return
            self.take(chunk)

    def put(self, chunk):
        if self.q is None:
            self.take(chunk)
        else:
            self.q.put(chunk)

    def join(self):
        if self.thread is not None:
            while True:      # make room for the end marker even if the thread died
                try:
                    self.q.put(None, timeout=0.1)
                    break
                except queue.Full:
                    if not self.thread.is_alive():
                        break
            self.thread.join()
            self.thread = None


class Sender(ChunkWorker):
    """Sends body chunks to one storage node."""

    def __init__(self, bc, cluster, threaded):
        self.bc, self.cluster = bc, cluster
        super().__init__(threaded)

    def take(self, chunk):
        if self.bc.failed:
            return
        try:
            self.bc.send(chunk)
        except Exception as exc:
            # error-limited (or not: a full device) once its answer is known
            self.bc.failed = True
            self.bc.error = exc

    def put(self, chunk):
        if not self.bc.failed:
            super().put(chunk)


class Hasher(ChunkWorker):
    """The MD5 and CRC-32 of an upload (iaas.objectstore.footer), computed
    beside the senders."""

    def __init__(self, threaded):
        self.sums = footer.Checksums()
        super().__init__(threaded)

    def take(self, chunk):
        self.sums.update(chunk)


class IterReader:
    """file-like read(n) over an iterator of chunks."""

    def __init__(self, it):
        self.it, self.buf = iter(it), b''

    def read(self, n):
        while len(self.buf) < n:
            chunk = next(self.it, None)
            if chunk is None:
                break
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out


class ObjectController:
    def __init__(self, proxy):
        self.p = proxy
        self.ring, self.cluster = proxy.ring, proxy.cluster

    # --- reading ---------------------------------------------------------------
    def open_get(self, a, c, o, method='GET', headers=None):
        """(status, headers, BackendIter | None) from the first replica that has it."""
        part, nodes = self.ring.get_nodes(a, c, o)
        hdrs = dict(headers or {}, **{'Content-Length': '0'})
        best = (503, {}, None)
        for node in self.cluster.iter_nodes(part, nodes):   # failed nodes come last
            try:
                bc = client.connect(node, method, f"/obj/{node['device']}/{part}/{a}/{c}/{o}",
                                        hdrs, self.cluster.conn_timeout,
                                        self.cluster.node_timeout)
                resp = bc.getresponse()
            except Exception as exc:
                self.cluster.error(node, exc)
                continue
            if resp.status == 404 or resp.status >= 500:
                try:
                    bc.read_all()
                except Exception:
                    pass
                if resp.status == 404:
                    best = (404, resp.headers, None)
                else:
                    self.cluster.error(node, f'status {resp.status}')
                continue
            if method == 'HEAD':
                bc.read_all()
                return resp.status, resp.headers, None
            return resp.status, resp.headers, BackendIter(bc, resp)
        return best

    def GET(self, req, a, c, o):
        mm = req.GET.get('multipart-manifest')
        spec = ranges.specs(req.headers.get('Range')) if req.method == 'GET' else None
        # one range goes to the storage server; several, or a zero-length
        # suffix ("bytes=-0": unsatisfiable, 416), are answered here
        single = bool(spec) and len(spec) == 1 and spec[0] != (None, 0)
        fwd = {'Range': req.headers['Range']} if single else {}
        status, bh, it = self.open_get(a, c, o, req.method, fwd)
        if status >= 400 and status != 416:
            raise HTTPError(status)
        if self.p.large.is_manifest(bh) and mm != 'get':
            if status != 200 or it is None:
                if it is not None:
                    it.close()
                status, bh, it = self.open_get(a, c, o, 'GET')
                if status >= 300:
                    raise HTTPError(status)
            return self.p.large.get(req, a, c, o, bh, it)
        if status == 416:
            if it is not None:
                it.close()
            raise HTTPError(416, None, {'Content-Range': bh.get('Content-Range', ''),
                                        'ETag': (bh.get('ETag') or '').strip('"'),
                                        'Accept-Ranges': 'bytes'})
        cond = ranges.precondition(req.headers, bh.get('ETag'),
                                   ranges.last_modified_of(bh), req.method)
        if cond:
            if it is not None:
                it.close()
            return conditional_response(cond, bh)
        resp = webob.Response(status=status, charset=None)
        resp.app_iter = it if it is not None else []
        for k in PASS_HEADERS:
            v = bh.get(k)
            if v is not None:
                resp.headers[k] = v
        for k, v in bh.items():     # (sysmeta never leaves the proxy: see proxy.__call__)
            if k.lower().startswith(('x-object-meta-', 'x-object-sysmeta-s3-')):
                resp.headers[k] = v
        if 'ETag' in resp.headers:
            resp.headers['ETag'] = resp.headers['ETag'].strip('"')
        resp.headers['Accept-Ranges'] = 'bytes'
        if mm == 'get' and bh.get('X-Static-Large-Object'):
            if req.GET.get('format') == 'raw':
                return self.p.large.raw_manifest(req, resp)
            resp.headers['Content-Type'] = 'application/json; charset=utf-8'
        if spec and not single and status == 200:
            self._multi_range(resp, spec, a, c, o)
        return resp

    def _multi_range(self, resp, spec, a, c, o):
        """Several ranges of a plain object: 416, one 206, or multipart/byteranges."""
        length = int(resp.headers['Content-Length'])
        rs = ranges.satisfiable(spec, length)
        close = getattr(resp.app_iter, 'close', None)
        if close is not None:
            close()

        def read_range(start, stop):
            st, _bh, it = self.open_get(a, c, o, 'GET', {'Range': f'bytes={start}-{stop - 1}'})
            if st != 206 or it is None:
                if it is not None:
                    it.close()
                raise HTTPError(503)
            yield from it
        if not rs:
            raise HTTPError(416, None, {'Content-Range': f'bytes */{length}',
                                        'ETag': resp.headers.get('ETag', ''),
                                        'Accept-Ranges': 'bytes'})
        if len(rs) == 1:
            start, stop = rs[0]
            resp.status = 206
            resp.app_iter = read_range(start, stop)
            resp.headers['Content-Range'] = ranges.content_range(start, stop, length)
            resp.headers['Content-Length'] = str(stop - start)
            return
        ctype, total, body = ranges.multipart(
            rs, length, resp.headers.get('Content-Type', 'application/octet-stream'),
            read_range)
        resp.status = 206
        resp.app_iter = body
        resp.headers['Content-Type'] = ctype
        resp.headers['Content-Length'] = str(total)

    HEAD = GET

    # --- writing -----------------------------------------------------------------
    def object_headers(self, req, obj, post=False):
        """The headers a client's PUT (``post``: POST) stores; a POST
        without a Content-Type keeps the object's (as Swift's)."""
        err = check_metadata(req.headers, 'object')
        if err:
            raise HTTPError(400, err)
        headers = {k: v for k, v in req.headers.items()
                   if k.lower().startswith('x-object-meta-') or k.lower() in USER_HEADERS}
        headers.update(s3_sysmeta(req, 'object'))      # the S3 layer's ACL and tags
        if post and not headers.get('Content-Type') and \
                not req.headers.get('X-Detect-Content-Type'):
            headers.pop('Content-Type', None)
        elif not headers.get('Content-Type') or req.headers.get('X-Detect-Content-Type'):
            headers['Content-Type'] = mimetypes.guess_type(obj)[0] or \
                'application/octet-stream'
        self._delete_at(req, headers)
        return headers

    def _delete_at(self, req, headers):
        if 'X-Delete-After' in req.headers:
            try:
                after = int(req.headers['X-Delete-After'])
            except ValueError:
                raise HTTPError(400, 'Non-integer X-Delete-After') from None
            if after < 0:
                raise HTTPError(400, 'X-Delete-After in past')
            headers['X-Delete-At'] = str(int(time.time() + after))
        if 'X-Delete-At' in headers:
            try:
                at = int(headers['X-Delete-At'])
            except ValueError:
                raise HTTPError(400, 'Non-integer X-Delete-At') from None
            if at < time.time():
                raise HTTPError(400, 'X-Delete-At in past')
            headers['X-Delete-At'] = str(min(at, 9999999999))   # Swift's ceiling

    def PUT(self, req, a, c, o):
        if req.headers.get('X-Copy-From'):
            src_c, src_o = _split_copy(req.headers['X-Copy-From'])
            src_a = _header_text(req.headers.get('X-Copy-From-Account')) or a
            return self.copy(req, src_a, src_c, src_o, a, c, o)
        info = self.p.container_info(a, c)
        if info['status'] >= 300:
            raise HTTPError(404 if info['status'] == 404 else info['status'])
        length = req.content_length
        chunked = 'chunked' in req.headers.get('Transfer-Encoding', '').lower()
        if length is None and not chunked:
            raise HTTPError(411, 'Missing Content-Length or Transfer-Encoding: chunked')
        if length is not None and length > self.p.max_file_size:
            raise HTTPError(413, 'Your request is too large.')
        headers = self.object_headers(req, o)
        inm = req.headers.get('If-None-Match')
        if inm is not None:
            if inm.strip() != '*':
                raise HTTPError(400, 'If-None-Match only supports *')
            st, _bh, _ = self.open_get(a, c, o, 'HEAD')
            if st < 300:
                raise HTTPError(412)
        if req.GET.get('multipart-manifest') == 'put':
            return self.p.large.put_slo(req, a, c, o, headers)
        if req.headers.get('ETag'):
            headers['ETag'] = req.headers['ETag'].strip('"')
        return self.put_stream(a, c, o, headers, req.environ['wsgi.input'], length)

    def put_stream(self, a, c, o, headers, reader, length):
        part, nodes = self.ring.get_nodes(a, c, o)
        cpart, cnodes = self.ring.get_nodes(a, c)
        ts = normalize_timestamp()
        cluster = self.cluster

        def hdrs(i):
            cn = cnodes[i % len(cnodes)]
            h = dict(headers, **{'X-Timestamp': ts, 'X-Container-Host': f"{cn['ip']}:{cn['port']}",
                                 'X-Container-Device': cn['device'],
                                 'X-Container-Partition': str(cpart)})
            if length is not None:     # MD5 once, here: iaas.objectstore.footer
                h = footer.backend_headers(h, length)
            return h
        next_handoff = cluster.handoff_iter(part, nodes)

        def connect(i, node):
            while node is not None:
                if not cluster.limited(node):
                    try:
                        return client.connect(
                            node, 'PUT', f"/obj/{node['device']}/{part}/{a}/{c}/{o}", hdrs(i),
                            cluster.conn_timeout, cluster.node_timeout, chunked=length is None)
                    except Exception as exc:
                        cluster.error(node, exc)
                node = next_handoff()
            return None
        conns = [bc for bc in cluster.executor.map(connect, range(len(nodes)), nodes) if bc]
        need = quorum(len(nodes))
        # Big bodies: one sending thread per replica, so a replica whose socket
        # is full does not hold up the others; small ones fit in socket buffers.
        threaded = length is None or length > 1024 * 1024
        senders = [Sender(bc, cluster, threaded) for bc in conns]
        hasher = Hasher(threaded) if length is not None else None
        workers = senders + [hasher] if hasher else senders
        try:
            if len(conns) < need:
                raise HTTPError(503)
            received = 0
            while length is None or received < length:
                chunk = reader.read(PUT_CHUNK if length is None
                                    else min(PUT_CHUNK, length - received))
                if not chunk:
                    break
                received += len(chunk)
                if received > self.p.max_file_size:
                    raise HTTPError(413, 'Your request is too large.')
                for worker in workers:
                    worker.put(chunk)
                if sum(not bc.failed for bc in conns) < need:
                    raise HTTPError(self._lost_quorum(conns))
            if length is not None and received < length:
                raise HTTPError(499)
            if hasher is not None:
                hasher.join()
                want = next((v for k, v in headers.items() if k.lower() == 'etag'), '')
                if want and want.strip('"').lower() != hasher.sums.md5.hexdigest():
                    raise HTTPError(422)    # no footer: no replica commits
                tail = hasher.sums.footer()
                for sender in senders:
                    sender.put(tail)
            for sender in senders:
                sender.join()
        except BaseException:
            for bc in conns:
                bc.failed = True
                bc.close()
            for worker in workers:
                worker.join()
            raise
        failed = [self._failed_status(bc) for bc in conns if bc.failed]
        live = [bc for bc in conns if not bc.failed]
        for bc in live:
            try:
                bc.finish()
            except Exception as exc:
                bc.failed = True
                cluster.error(bc.node, exc)

        def respond(bc):
            if bc.failed:
                return 503, None
            try:
                resp = bc.getresponse()
                bc.read_all()
                return resp.status, resp.headers.get('ETag')
            except Exception as exc:
                cluster.error(bc.node, exc)
                return 503, None
        results = list(cluster.executor.map(respond, live))
        statuses = [s for s, _ in results] + failed
        if hasher is not None:
            # a replica refusing a footer upload: the bytes changed on the
            # way (or it does not know footers); the client's were fine
            statuses = [503 if s == 422 else s for s in statuses]
        if sum(s == 201 for s in statuses) >= need:
            etag = next(e for s, e in results if s == 201)
            return webob.Response(status=201, body=b'', charset=None, headers={
                'ETag': etag, 'Last-Modified': _http_date(ts), 'Content-Type': 'text/html',
                'X-Timestamp': ts})
        for bad in (422, 413, 409, 499, 507):
            if bad in statuses:
                raise HTTPError(bad if bad != 409 else 202)
        raise HTTPError(503)

    def _failed_status(self, bc):
        """The status of a replica whose upload broke off: a full device
        answers 507 early (the node stays in use for reads and other
        writes); anything else error-limits the node (503)."""
        if getattr(bc, 'status', None) is not None:
            return bc.status
        status = 503
        try:
            if bc.answered():
                status = bc.getresponse().status
        except Exception:
            status = 503
        bc.close()
        if status != 507:
            self.cluster.error(bc.node, getattr(bc, 'error', None) or f'status {status}')
        bc.status = status
        return status

    def _lost_quorum(self, conns):
        """507 when the replicas that dropped out are full devices, else 503."""
        statuses = [self._failed_status(bc) for bc in conns if bc.failed]
        return 507 if statuses and all(s == 507 for s in statuses) else 503

    def POST(self, req, a, c, o):
        headers = self.object_headers(req, o, post=True)
        part, nodes = self.ring.get_nodes(a, c, o)
        cpart, cnodes = self.ring.get_nodes(a, c)
        ts = normalize_timestamp()

        def hdrs(i):
            cn = cnodes[i % len(cnodes)]
            return dict(headers, **{'X-Timestamp': ts, 'Content-Length': '0',
                                    'X-Container-Host': f"{cn['ip']}:{cn['port']}",
                                    'X-Container-Device': cn['device'],
                                    'X-Container-Partition': str(cpart)})
        results = self.cluster.fanout(part, nodes, 'POST',
                                      lambda n: f"/obj/{n['device']}/{part}/{a}/{c}/{o}", hdrs)
        status = best_status([r[0] for r in results], len(nodes))
        if status >= 300:
            raise HTTPError(status)
        return webob.Response(status=202, body=b'', charset=None, content_type='text/html')

    def DELETE(self, req, a, c, o):
        if req.GET.get('multipart-manifest') == 'delete':
            return self.p.large.delete_slo(req, a, c, o)
        if_delete_at = req.headers.get('X-If-Delete-At')
        if if_delete_at is not None and not if_delete_at.strip().isdigit():
            raise HTTPError(400, 'Bad X-If-Delete-At header value')
        return self.delete(a, c, o, if_delete_at)

    def delete(self, a, c, o, if_delete_at=None):
        part, nodes = self.ring.get_nodes(a, c, o)
        cpart, cnodes = self.ring.get_nodes(a, c)
        ts = normalize_timestamp()

        def hdrs(i):
            cn = cnodes[i % len(cnodes)]
            h = {'X-Timestamp': ts, 'X-Container-Host': f"{cn['ip']}:{cn['port']}",
                 'X-Container-Device': cn['device'], 'X-Container-Partition': str(cpart)}
            if if_delete_at is not None:
                h['X-If-Delete-At'] = if_delete_at.strip()
            return h
        results = self.cluster.fanout(part, nodes, 'DELETE',
                                      lambda n: f"/obj/{n['device']}/{part}/{a}/{c}/{o}", hdrs)
        status = best_status([r[0] for r in results], len(nodes))
        if status >= 300:
            raise HTTPError(status)
        resp = webob.Response(status=204, charset=None)
        resp.headers['Content-Type'] = 'text/html; charset=UTF-8'
        return resp

    def COPY(self, req, a, c, o):
        dest = req.headers.get('Destination')
        if not dest:
            raise HTTPError(412, 'Destination header required')
        dc, do = _split_copy(dest)
        da = _header_text(req.headers.get('Destination-Account')) or a
        return self.copy(req, a, c, o, da, dc, do, check_dest=True)

    def copy(self, req, sa, sc, so, da, dc, do, check_dest=False):
        # As Swift's copy middleware: the source is read first (a missing
        # source is 404 even where the destination is not writable), then
        # the write is authorized as a PUT to the destination.
        ident = req.environ.get('iaas.objectstore.identity')
        self.p.authorize(ident, 'GET', sa, sc, so)
        rng = req.headers.get('Range')
        spec = ranges.specs(rng)
        status, bh, it = self.open_get(sa, sc, so, 'GET',
                                       {'Range': rng} if spec and len(spec) == 1 else None)
        if status >= 300 and status != 206:
            raise HTTPError(404 if status == 404 else status)
        try:
            if check_dest:
                self.p.authorize(ident, 'PUT', da, dc, do)
            info = self.p.container_info(da, dc)
            if info['status'] >= 300:
                raise HTTPError(404)
        except Exception:
            if it is not None:
                it.close()
            raise
        if status == 206 and self.p.large.is_manifest(bh):
            it.close()
            status, bh, it = self.open_get(sa, sc, so, 'GET')
            if status >= 300:
                raise HTTPError(404 if status == 404 else status)
        if self.p.large.is_manifest(bh) and req.GET.get('multipart-manifest') != 'get':
            length, etag, it, bh = self.p.large.stream(
                req.environ.get('iaas.objectstore.identity'), sa, sc, so, bh, it,
                part=req.GET.get('part-number') if bh.get('X-Static-Large-Object') else None)
        else:
            length = int(bh['Content-Length'])
        if length > self.p.max_file_size:
            it.close()
            raise HTTPError(413)
        headers = {}
        if req.headers.get('X-Fresh-Metadata', '').lower() not in ('true', '1', 'yes'):
            headers = {k: v for k, v in bh.items()
                       if k.lower().startswith('x-object-meta-') or k.lower() in
                       ('content-type', 'content-disposition', 'content-encoding',
                        'x-object-sysmeta-s3-acl')}   # (the S3 layer sends its own)
        # the S3 layer's tags go with the copy unless it names others
        headers.update({k: v for k, v in bh.items() if k.lower() == S3_TAGGING})
        override = {k: v for k, v in req.headers.items()
                    if k.lower().startswith('x-object-meta-') or k.lower() in USER_HEADERS}
        override.update(s3_sysmeta(req, 'object'))
        headers.update(override)
        headers.setdefault('Content-Type', bh.get('Content-Type', 'application/octet-stream'))
        if bh.get('X-Object-Manifest') and req.GET.get('multipart-manifest') == 'get':
            headers.setdefault('X-Object-Manifest', bh['X-Object-Manifest'])
        self._delete_at(req, headers)
        if not (self.p.large.is_manifest(bh) and req.GET.get('multipart-manifest') != 'get'):
            # a raw copy: its row is the source's (a manifest's: see copy_manifest)
            headers.update(listing.version_row(req, length, bh.get('ETag', '')))
        if bh.get('X-Static-Large-Object') and req.GET.get('multipart-manifest') == 'get':
            resp = self.p.large.copy_manifest(req, da, dc, do, headers, bh, it)
        else:
            resp = self.put_stream(da, dc, do, headers, IterReader(it), length)
        for k, v in headers.items():     # Swift answers the copy's metadata
            if k.lower().startswith('x-object-meta-'):
                resp.headers[k] = v
        resp.headers['X-Copied-From'] = urllib.parse.quote(f'{sc}/{so}')
        resp.headers['X-Copied-From-Last-Modified'] = bh.get('Last-Modified', '')
        return resp


S3_TAGGING = 'x-object-sysmeta-s3-tagging'



def conditional_response(status, bh):
    """The 304/412 answer of a conditional GET/HEAD: the object's ETag,
    Last-Modified, type and metadata, no body."""
    resp = webob.Response(status=status, charset=None, body=b'')
    for k, v in bh.items():
        lk = k.lower()
        if lk in ('etag', 'last-modified', 'x-timestamp', 'content-type') or \
                lk.startswith('x-object-meta-'):
            resp.headers[k] = v.strip('"') if lk == 'etag' else v
    resp.headers['Accept-Ranges'] = 'bytes'
    if status == 412:
        resp.headers['Content-Type'] = 'text/html; charset=UTF-8'
    return resp


def _header_text(value):
    """A header naming an account: URL-quoted UTF-8 (WSGI latin-1 text)."""
    if not value:
        return value
    try:
        value = value.encode('latin-1').decode('utf-8')
    except UnicodeError:
        pass
    return urllib.parse.unquote(value).strip('/')


def _split_copy(value):
    try:
        value = value.encode('latin-1').decode('utf-8')
    except UnicodeError:
        pass
    value = urllib.parse.unquote(value).lstrip('/')
    c, _, o = value.partition('/')
    if not c or not o:
        raise HTTPError(412, 'X-Copy-From/Destination header must be of the form '
                             '<container name>/<object name>')
    return c, o


def _http_date(ts):
    return http_date(int(float(ts) + 0.999999))
