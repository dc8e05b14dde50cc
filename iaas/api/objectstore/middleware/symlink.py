"""Symlinks (Swift's ``symlink`` middleware).

A symlink is a zero-byte object PUT with ``X-Symlink-Target: <c>/<o>``
(``X-Symlink-Target-Account`` for another account; ``X-Symlink-Target-Etag``
makes a static link, checked against the target at PUT and at every GET).
GET/HEAD follow the link (at most :data:`SYMLOOP_MAX` links deep, else 409)
and answer with the target plus ``Content-Location``; ``?symlink=get``
answers the link itself with its ``X-Symlink-Target*`` headers. POST to a
link updates the link and answers 307 with the target's ``Location``; COPY /
``X-Copy-From`` of a link copies its target (``?symlink=get``: the link).
JSON container listings carry ``symlink_path`` (and ``symlink_etag``,
``symlink_bytes`` for static links, ``slo_etag`` for a static link to a SLO).

Storage: the link lives in the object's own Content-Type parameters
(``symlink_target=…;symlink_target_account=…;symlink_target_etag=…;
symlink_target_bytes=…;slo_etag=…``, values URL-quoted), so it is kept by copies,
shows in the container listing row and needs no extra metadata; this filter
strips the parameters from every answer and from clients' own Content-Types.
"""
import json
import re
import urllib.parse

import webob

from iaas.api.objectstore.auth import AuthError
from iaas.api.objectstore.errors import HTTPError
from iaas.api.objectstore.middleware.common import wsgi_to_str
from iaas.api.objectstore.middleware.versioned_writes import (
    identity,
    parse,
    plain_errors,
    preauthed,
    subrequest,
)

SYMLOOP_MAX = 2
INFO = {'symloop_max': SYMLOOP_MAX, 'static_links': True}
KEYS = ('symlink_target', 'symlink_target_account', 'symlink_target_etag',
        'symlink_target_bytes', 'slo_etag')
COND = ('Range', 'If-Match', 'If-None-Match', 'If-Modified-Since', 'If-Unmodified-Since')
MD5_EMPTY = 'd41d8cd98f00b204e9800998ecf8427e'
TARGET_FORM = 'X-Symlink-Target header must be of the form <container name>/<object name>'


def split_type(value):
    """(content type without link parameters, {link parameter: unquoted value})."""
    if not value or 'symlink_target' not in value:
        return value, {}
    keep, link = [], {}
    for i, part in enumerate(value.split(';')):
        k, eq, v = part.strip().partition('=')
        if i and eq and k.lower() in KEYS:
            link[k.lower()] = urllib.parse.unquote(v)
        else:
            keep.append(part)
    return ';'.join(keep), link


def join_type(ctype, link):
    return ctype + ''.join(f';{k}={urllib.parse.quote(link[k], safe="")}'
                           for k in KEYS if link.get(k) is not None)


class RelativeLocation(webob.Response):
    """A response whose Location stays as given (webob makes it absolute)."""

    def _abs_headerlist(self, environ):
        return list(self._headerlist)


def make(proxy, app):
    return plain_errors(Symlinks(proxy, app))


class Symlinks:
    def __init__(self, proxy, app):
        self.p, self.app = proxy, app

    def __call__(self, req):
        where = parse(req)
        if where is None:
            return self.app(req)
        a, c, o = where
        if c is not None and o is None:
            resp = self.app(req)
            return self.listing(req, resp, a) if req.method == 'GET' else resp
        if o is None:
            return self.app(req)
        m = req.method
        if m == 'PUT' and 'X-Symlink-Target' in req.headers:
            return self.put_link(req, a, c, o)
        if m in ('PUT', 'POST') and 'Content-Type' in req.headers:
            req.headers['Content-Type'] = split_type(req.headers['Content-Type'])[0]
        if m == 'POST':
            return self.post(req, a, c, o)
        if m in ('PUT', 'COPY'):
            self.copy_source(req, a, c, o)
            return self.app(req)
        if m in ('GET', 'HEAD'):
            return self.get(req, a, c, o)
        return self.app(req)

    # --- creating ----------------------------------------------------------------------
    def put_link(self, req, a, c, o):
        h = req.headers
        if req.content_length != 0 or 'X-Copy-From' in h:
            raise HTTPError(400, 'Symlink requests require a zero byte body')
        raw = urllib.parse.unquote(wsgi_to_str(h.pop('X-Symlink-Target')))
        if raw.startswith('/'):
            raise HTTPError(412, TARGET_FORM)
        tc, _, to = raw.partition('/')
        if not tc or not to:
            raise HTTPError(412, TARGET_FORM)
        link = {'symlink_target': f'{tc}/{to}'}
        ta = a
        if 'X-Symlink-Target-Account' in h:
            ta = urllib.parse.unquote(wsgi_to_str(h.pop('X-Symlink-Target-Account')))
            if not ta or '/' in ta:
                raise HTTPError(412, 'Account name cannot contain slashes')
            link['symlink_target_account'] = ta
        if (ta, tc, to) == (a, c, o):
            raise HTTPError(400, 'Symlink cannot target itself')
        etag = h.pop('X-Symlink-Target-Etag', None)
        ctype = h.get('Content-Type')
        if etag is not None:
            etag = etag.strip()
            if etag.startswith('"') and etag.endswith('"') and len(etag) > 1:
                etag = etag[1:-1]
            if any(ch in etag for ch in ';"\\'):
                raise HTTPError(400, 'Bad X-Symlink-Target-Etag format')
            target = subrequest(self.app, identity(self.p, req), 'HEAD', ta, tc, to,
                                query={'symlink': 'get'})
            if target.status_int == 404:
                raise HTTPError(409, 'X-Symlink-Target does not exist')
            if target.status_int >= 300:
                raise HTTPError(target.status_int)
            tctype, tlink = split_type(target.headers.get('Content-Type', ''))
            tetag = (target.headers.get('ETag') or '').strip('"')
            if tlink:
                tetag = tlink.get('symlink_target_etag') or tetag
            elif target.headers.get('X-Static-Large-Object'):
                tetag = (target.headers.get('X-Manifest-Etag') or tetag).strip('"')
            if tetag != etag:
                raise HTTPError(409, f'Object Etag {tetag!r} does not match '
                                     f'X-Symlink-Target-Etag header {etag!r}')
            link['symlink_target_etag'] = etag
            link['symlink_target_bytes'] = target.headers.get('Content-Length', '0')
            if target.headers.get('X-Static-Large-Object') and not tlink:
                link['slo_etag'] = (target.headers.get('ETag') or '').strip('"')
            if not ctype:
                ctype = tctype or 'application/octet-stream'
        h['Content-Type'] = join_type(split_type(ctype or 'application/symlink')[0], link)
        h.pop('X-Detect-Content-Type', None)
        resp = self.app(req)
        if resp.status_int == 201 and etag is not None:
            resp.headers['X-Symlink-Target-Etag'] = etag
        return resp

    def copy_source(self, req, a, c, o):
        """COPY / X-Copy-From of a link copies its target (?symlink=get: the link)."""
        if req.method == 'COPY':
            sa, sc, so = a, c, o
        elif req.headers.get('X-Copy-From'):
            src = urllib.parse.unquote(wsgi_to_str(req.headers['X-Copy-From'])).lstrip('/')
            sc, _, so = src.partition('/')
            sa = urllib.parse.unquote(wsgi_to_str(req.headers.get('X-Copy-From-Account', a)))
            if not sc or not so:
                return
        else:
            return
        ident = identity(self.p, req)
        head = subrequest(self.app, ident, 'HEAD', sa, sc, so, query={'symlink': 'get'})
        _ctype, link = split_type(head.headers.get('Content-Type', ''))
        if head.status_int >= 300 or not link:
            return
        if req.GET.get('symlink') == 'get':
            if 'X-Symlink-Target-Account' in req.headers:   # the copy targets that account
                ta = urllib.parse.unquote(wsgi_to_str(req.headers.pop('X-Symlink-Target-Account')))
                if not ta or '/' in ta:
                    raise HTTPError(412, 'Account name cannot contain slashes')
                link['symlink_target_account'] = ta
                req.headers.setdefault('Content-Type', _ctype)
            if 'Content-Type' in req.headers:       # keep the copy a link
                req.headers['Content-Type'] = join_type(req.headers['Content-Type'], link)
            return
        ta, tc, to = self.resolve(ident, sa, link)
        if req.method == 'COPY':
            req.path_info = f'/v1/{ta}/{tc}/{to}'
            if ta != a:
                req.headers.setdefault('Destination-Account', a)
        else:
            req.headers['X-Copy-From'] = urllib.parse.quote(f'/{tc}/{to}')
            if ta != a:
                req.headers['X-Copy-From-Account'] = ta

    def resolve(self, ident, account, link):
        """(account, container, object) at the end of a chain of links."""
        for _ in range(SYMLOOP_MAX + 1):
            ta = link.get('symlink_target_account', account)
            tc, _, to = link['symlink_target'].partition('/')
            head = subrequest(self.app, ident, 'HEAD', ta, tc, to, query={'symlink': 'get'})
            link = split_type(head.headers.get('Content-Type', ''))[1] \
                if head.status_int < 300 else {}
            if not link:
                return ta, tc, to
            account = ta
        raise HTTPError(409, f'Too many levels of symbolic links, maximum allowed is '
                             f'{SYMLOOP_MAX}')

    # --- POST ------------------------------------------------------------------------------
    def post(self, req, a, c, o):
        if 'X-Symlink-Target' in req.headers:
            raise HTTPError(400, 'A PUT request is required to set a symlink target')
        # a caller who may write but not read (a write-only container ACL)
        # may still POST: the object is looked at on its behalf (Swift asks
        # the object server, which answers 307 for a link)
        self.p.authorize(identity(self.p, req), 'POST', a, c, o)
        head = subrequest(self.app, preauthed(a), 'HEAD', a, c, o, query={'symlink': 'get'})
        ctype, link = split_type(head.headers.get('Content-Type', ''))
        if head.status_int >= 300 or not link:
            return self.app(req)
        req.headers['Content-Type'] = join_type(req.headers.get('Content-Type') or ctype, link)
        resp = self.app(req)
        if resp.status_int >= 300:
            return resp
        ta = link.get('symlink_target_account', a)
        out = RelativeLocation(status=307, charset=None, content_type='text/html',
                             body=b'The requested POST was applied to a symlink. POST '
                                  b'directly to the target to apply requested metadata.')
        out.headers['Location'] = urllib.parse.quote(f'/v1/{ta}/{link["symlink_target"]}')
        if link.get('symlink_target_etag'):
            out.headers['X-Symlink-Target-Etag'] = link['symlink_target_etag']
        return out

    # --- reading --------------------------------------------------------------------------
    def get(self, req, a, c, o):
        want_link = req.GET.get('symlink') == 'get'
        ident = identity(self.p, req)
        if not want_link and any(k in req.headers for k in COND):
            head = subrequest(self.app, ident, 'HEAD', a, c, o, query={'symlink': 'get'})
            link = split_type(head.headers.get('Content-Type', ''))[1] \
                if head.status_int < 300 else {}
            if not link:
                return self.app(req)
            resp = None
        else:
            resp = self.app(req)
            ctype, link = split_type(resp.headers.get('Content-Type', ''))
            if not link:
                return resp
            if want_link:
                return self.link_headers(resp, ctype, link)
            resp.app_iter = []
        return self.follow(req, ident, a, link)

    @staticmethod
    def link_headers(resp, ctype, link):
        resp.headers['Content-Type'] = ctype
        resp.headers['X-Symlink-Target'] = urllib.parse.quote(link['symlink_target'])
        if link.get('symlink_target_account'):
            resp.headers['X-Symlink-Target-Account'] = urllib.parse.quote(
                link['symlink_target_account'])
        if link.get('symlink_target_etag'):
            resp.headers['X-Symlink-Target-Etag'] = link['symlink_target_etag']
            resp.headers['X-Symlink-Target-Bytes'] = link.get('symlink_target_bytes', '0')
        return resp

    def follow(self, req, ident, account, link):
        """The target's answer; a static link's etag is checked against the
        object it names (a link: the etag of its empty body)."""
        headers = {k: req.headers[k] for k in COND if k in req.headers}
        query = {k: v for k, v in req.GET.items() if k != 'symlink'}
        for _ in range(SYMLOOP_MAX):
            ta = link.get('symlink_target_account', account)
            tc, _, to = link['symlink_target'].partition('/')
            location = {'Content-Location': urllib.parse.quote(f'/v1/{ta}/{tc}/{to}')}
            want = link.get('symlink_target_etag')
            try:
                resp = subrequest(self.app, ident, req.method, ta, tc, to, query=query,
                                  headers=headers)
            except AuthError as e:      # still tell where the link points (Swift)
                if e.code != 403:
                    raise
                raise HTTPError(403, None, location) from None
            ctype, link = split_type(resp.headers.get('Content-Type', ''))
            if want and (resp.status_int < 300 or resp.status_int in (304, 412)):
                tetag = resp.headers.get('ETag') or ''
                if link:
                    tetag = link.get('symlink_target_etag') or MD5_EMPTY
                elif resp.headers.get('X-Static-Large-Object'):
                    tetag = resp.headers.get('X-Manifest-Etag') or tetag
                tetag = tetag.strip('"')
                if want != tetag:
                    resp.app_iter = []
                    raise HTTPError(409, f'Object Etag {tetag!r} does not match '
                                         f'X-Symlink-Target-Etag header {want!r}', location)
            if not link or resp.status_int >= 300:
                break
            resp.app_iter = []
            account = ta
        else:
            raise HTTPError(409, f'Too many levels of symbolic links, maximum allowed is '
                                 f'{SYMLOOP_MAX}')
        resp.headers.update(location)
        return resp

    # --- listings ---------------------------------------------------------------------
    def listing(self, req, resp, account):
        ctype = resp.headers.get('Content-Type', '')
        if resp.status_int != 200 or b'symlink_target' not in resp.body:
            return resp
        if ctype.startswith('application/json'):
            rows = json.loads(resp.body)
            for row in rows:
                if 'content_type' not in row:
                    continue
                row['content_type'], link = split_type(row['content_type'])
                if not link:
                    continue
                ta = link.get('symlink_target_account', account)
                row['symlink_path'] = f"/v1/{ta}/{link['symlink_target']}"
                if link.get('symlink_target_etag'):
                    row['symlink_etag'] = link['symlink_target_etag']
                    row['symlink_bytes'] = int(link.get('symlink_target_bytes') or 0)
                if link.get('slo_etag'):     # a static link to a SLO (as Swift)
                    row['slo_etag'] = '"%s"' % link['slo_etag']
            resp.body = json.dumps(rows).encode()
        elif 'xml' in ctype:
            text = resp.body.decode()
            resp.body = re.sub(r'(<content_type>)([^<]*)(</content_type>)',
                               lambda m: m.group(1) + _strip_xml(m.group(2)) + m.group(3),
                               text).encode()
        return resp


def _strip_xml(value):
    import html
    return html.escape(split_type(html.unescape(value))[0], quote=False)
