"""Bulk operations (Swift's bulk): ``PUT /v1/<a>[/<c>[/<prefix>]]?extract-archive=tar|tar.gz|tar.bz2``
stores every file of the archive as an object (creating containers as
needed); ``DELETE`` or ``POST /v1/<a>?bulk-delete`` deletes the newline
separated, URL-encoded ``container/object`` (or ``container``) paths of the
body. Both answer 200 with a report (text/plain, JSON or XML after
``Accept``) whose ``Response Status`` tells how it went.

Who may call: anyone with a token; every object and container write or
delete inside is a subrequest made as the caller, checked like any request.
Work is bounded before it is done: at most MAX_DELETES paths (the body is
read up to that, 413 beyond), MAX_FILES files, MAX_CONTAINERS new containers
and MAX_ARCHIVE_BYTES unpacked bytes per archive, and the run stops after
MAX_FAILED failures.
"""
import json
import tarfile
import urllib.parse
from xml.sax.saxutils import escape

import webob

from iaas.api.objectstore.middleware import common
from iaas.objectstore.utils import MAX_CONTAINER_NAME, MAX_OBJECT_NAME

MAX_DELETES = 10000
MAX_FAILED_DELETES = 1000
MAX_CONTAINERS = 10000
MAX_FAILED_EXTRACTIONS = 1000
MAX_FILES = 10000
MAX_PATH = MAX_OBJECT_NAME + MAX_CONTAINER_NAME + 2
FORMATS = ['text/plain', 'application/json', 'application/xml', 'text/xml']
STATUS = {200: '200 OK', 201: '201 Created', 400: '400 Bad Request', 401: '401 Unauthorized',
          403: '403 Forbidden', 404: '404 Not Found', 406: '406 Not Acceptable',
          409: '409 Conflict', 411: '411 Length Required', 412: '412 Precondition Failed',
          413: '413 Request Entity Too Large', 502: '502 Bad Gateway'}


def swift_info(proxy):
    return {'bulk_upload': {'max_containers_per_extraction': MAX_CONTAINERS,
                            'max_failed_extractions': MAX_FAILED_EXTRACTIONS},
            'bulk_delete': {'max_deletes_per_request': MAX_DELETES,
                            'max_failed_deletes': MAX_FAILED_DELETES}}


class Stop(Exception):
    def __init__(self, status, body=''):
        super().__init__(body)
        self.status, self.body = status, body


def _status(resp):
    return STATUS.get(resp.status_int, resp.status)


def report(fmt, data, errors, root):
    if fmt == 'application/json':
        return json.dumps(dict(data, Errors=errors)).encode()
    if fmt and fmt.endswith('/xml'):
        out = ['<?xml version="1.0" encoding="UTF-8"?>\n', f'<{root}>\n']
        for key in sorted(data):
            tag = key.replace(' ', '_').lower()
            out.append(f'<{tag}>{escape(str(data[key]))}</{tag}>\n')
        out.append('<errors>\n')
        for name, status in errors:
            out.append(f'<object><name>{escape(name)}</name>'
                       f'<status>{escape(status)}</status></object>\n')
        out.append(f'</errors>\n</{root}>\n')
        return ''.join(out).encode()
    out = [f'{k}: {data[k]}\n' for k in sorted(data)] + ['Errors:\n']
    out += [f'{name}, {status}\n' for name, status in errors]
    return ''.join(out).encode()


def _out_format(req):
    try:
        return req.accept.best_match(FORMATS) if 'Accept' in req.headers else 'text/plain'
    except ValueError:
        return 'text/plain'


class _Limited:
    """Reads at most ``limit`` bytes of ``f`` (more: Stop 413)."""

    def __init__(self, f, limit):
        self.f, self.left = f, limit

    def read(self, n=-1):
        data = self.f.read(n if n is not None and n >= 0 else 65536)
        self.left -= len(data)
        if self.left < 0:
            raise Stop(413, 'Archive too large.')
        return data


def make(proxy, app):
    def delete_paths(req):
        if req.content_length is None and \
                'chunked' not in req.headers.get('Transfer-Encoding', '').lower():
            raise Stop(411)
        body = req.body_file.read(MAX_DELETES * (MAX_PATH + 2) + 1)
        lines = [x.strip() for x in body.split(b'\n')]
        names = [x for x in lines if x]
        if len(names) > MAX_DELETES or len(body) > MAX_DELETES * (MAX_PATH + 2):
            raise Stop(413, f'Maximum Bulk Deletes: {MAX_DELETES} per request')
        out = []
        for raw in names:
            if len(raw) > MAX_PATH * 2:
                raise Stop(400, 'Invalid File Name')
            out.append(urllib.parse.unquote(raw.decode('utf-8', 'surrogateescape'),
                                            errors='surrogateescape'))
        return out

    def bulk_delete(req, account):
        fmt = _out_format(req)
        data = {'Response Status': '200 OK', 'Response Body': '',
                'Number Deleted': 0, 'Number Not Found': 0}
        errors = []
        try:
            if not fmt:
                raise Stop(406)
            ctype = req.headers.get('Content-Type')
            if ctype and not ctype.startswith('text/plain'):
                raise Stop(406)
            common.identify(proxy, req)
            names = delete_paths(req)
            worst = 400
            objs = [n for n in names if '/' in n.strip('/')]
            conts = [n for n in names if '/' not in n.strip('/')]
            for name in objs + conts:
                path = f'/v1/{account}/{name.lstrip("/")}'
                try:
                    path.encode('utf-8')
                except UnicodeEncodeError:
                    errors.append([urllib.parse.quote(name, errors='surrogateescape'),
                                   STATUS[412]])
                    continue
                resp = common.call(proxy, app, common.make_request(req, 'DELETE', path))
                if resp.status_int // 100 == 2:
                    data['Number Deleted'] += 1
                elif resp.status_int == 404:
                    data['Number Not Found'] += 1
                else:
                    if resp.status_int >= 500:
                        worst = 502
                    errors.append([urllib.parse.quote(name), _status(resp)])
                if len(errors) >= MAX_FAILED_DELETES:
                    raise Stop(400, 'Max delete failures exceeded')
            if errors:
                data['Response Status'] = STATUS[worst]
            elif not (data['Number Deleted'] or data['Number Not Found']):
                data['Response Status'] = STATUS[400]
                data['Response Body'] = 'Invalid bulk delete.'
        except Stop as e:
            data['Response Status'] = STATUS.get(e.status, str(e.status))
            data['Response Body'] = e.body
        return webob.Response(status=200, body=report(fmt, data, errors, 'delete'),
                              content_type=fmt or 'text/plain', charset=None)

    def extract(req, account, container, prefix, kind):
        fmt = _out_format(req)
        data = {'Response Status': '201 Created', 'Response Body': '',
                'Number Files Created': 0}
        errors = []
        created = set()
        try:
            if not fmt:
                raise Stop(406)
            if req.content_length is None and \
                    'chunked' not in req.headers.get('Transfer-Encoding', '').lower():
                raise Stop(411)
            common.identify(proxy, req)
            base = '/'.join(p for p in (container, prefix) if p)
            stream = _Limited(req.body_file, proxy.max_file_size)
            files = 0
            try:
                tar = tarfile.open(mode='r|' + kind, fileobj=stream)
                for member in tar:
                    if not member.isfile():
                        continue
                    files += 1
                    if files > MAX_FILES:
                        raise Stop(413, f'More than {MAX_FILES} files.')
                    name = member.name
                    if name.startswith('./'):
                        name = name[2:]
                    dest = (base + '/' + name.lstrip('/')) if base else name.lstrip('/')
                    cont, _, obj = dest.partition('/')
                    if not cont or not obj:
                        errors.append([urllib.parse.quote(dest), STATUS[412]])
                    elif len(obj.encode()) > MAX_OBJECT_NAME or len(cont) > MAX_CONTAINER_NAME:
                        errors.append([urllib.parse.quote(dest), STATUS[400]])
                    else:
                        if cont not in created:
                            if len(created) >= MAX_CONTAINERS:
                                raise Stop(400, f'More than {MAX_CONTAINERS} containers to '
                                                'create from tar.')
                            cpath = f'/v1/{account}/{cont}'
                            head = common.call(proxy, app, common.make_request(req, 'HEAD', cpath))
                            if head.status_int == 404:
                                put = common.call(proxy, app,
                                                  common.make_request(req, 'PUT', cpath))
                                if put.status_int >= 300:
                                    errors.append([urllib.parse.quote(cpath), _status(put)])
                                    raise Stop(put.status_int if put.status_int in (401, 403)
                                               else 400, 'Create Container Failed: ' + cpath)
                            created.add(cont)
                        sub = common.make_request(req, 'PUT', f'/v1/{account}/{dest}')
                        sub.body_file = tar.extractfile(member)
                        sub.content_length = member.size
                        for key, value in (member.pax_headers or {}).items():
                            hdr = _pax_header(key)
                            if hdr:
                                sub.headers[hdr] = value
                        resp = common.call(proxy, app, sub)
                        if resp.status_int // 100 == 2:
                            data['Number Files Created'] += 1
                        elif resp.status_int in (401, 403):
                            errors.append([urllib.parse.quote(dest), _status(resp)])
                            raise Stop(resp.status_int)
                        else:
                            errors.append([urllib.parse.quote(dest), _status(resp)])
                    if len(errors) >= MAX_FAILED_EXTRACTIONS:
                        raise Stop(400, 'Max extraction failures exceeded')
            except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
                raise Stop(400, f'Invalid Tar File: {type(exc).__name__}') from None
            if files == 0 and not errors:
                raise Stop(400, 'Invalid Tar File: No Valid Files')
            if errors:
                data['Response Status'] = STATUS[400]
        except Stop as e:
            data['Response Status'] = STATUS.get(e.status, str(e.status))
            data['Response Body'] = e.body
        return webob.Response(status=200, body=report(fmt, data, errors, 'extract'),
                              content_type=fmt or 'text/plain', charset=None)

    def handler(req):
        if common.is_internal(req):
            return app(req)
        q = common.query(req)
        kind = q.get('extract-archive')
        bulk_delete_asked = 'bulk-delete' in q and req.method in ('POST', 'DELETE')
        if (kind is None or req.method != 'PUT') and not bulk_delete_asked:
            return app(req)
        parts = common.swift_path(req)
        if parts is None:
            return app(req)
        account, container, obj = parts
        if bulk_delete_asked:
            return bulk_delete(req, account)
        comp = {'tar': '', 'tar.gz': 'gz', 'tar.bz2': 'bz2'}.get(kind.lower().strip('.'))
        if comp is None:
            return common.text_response(400, 'Unsupported archive format')
        return extract(req, account, container, obj, comp)
    return handler


def _pax_header(key):
    for prefix in ('SCHILY.xattr.user.', 'LIBARCHIVE.xattr.user.'):
        if key == prefix + 'mime_type':
            return 'Content-Type'
        if key.startswith(prefix + 'meta.'):
            return 'X-Object-Meta-' + key[len(prefix + 'meta.'):]
    return None
