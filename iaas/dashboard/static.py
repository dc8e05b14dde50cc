"""Static files (iaas/dashboard/static/): read once, served from memory,
gzip-compressed when the browser accepts it, with URLs that change with
their content (``/static/app.css?v=<hash>``) so they can be cached long.

The vendored JavaScript (htmx) sits in static/vendor/ at a pinned version,
put there by tools/build-dashboard-assets.sh; nothing comes from a CDN.
"""
import gzip
import hashlib
import importlib.resources
import mimetypes

import webob

from iaas import wsgi

TYPES = {'.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml',
         '.png': 'image/png', '.ico': 'image/x-icon'}
_files = {}    # 'vendor/htmx.min.js' -> (body, gzipped, content type, etag)


def _load():
    if _files:
        return _files
    root = importlib.resources.files('iaas.dashboard') / 'static'
    stack = [(root, '')]
    while stack:
        folder, prefix = stack.pop()
        for entry in folder.iterdir():
            name = prefix + entry.name
            if entry.is_dir():
                stack.append((entry, name + '/'))
                continue
            ext = '.' + entry.name.rsplit('.', 1)[-1]
            ctype = TYPES.get(ext) or mimetypes.guess_type(entry.name)[0]
            if ctype is None:
                continue
            body = entry.read_bytes()
            _files[name] = (body, gzip.compress(body, 9, mtime=0), ctype,
                            hashlib.sha256(body).hexdigest()[:16])
    return _files


def url(name):
    """The URL of static file ``name`` (versioned by its content)."""
    return f'/static/{name}?v={_load()[name][3]}'


def compressed_size(names=None):
    """Bytes of the gzipped files (all, or those named)."""
    files = _load()
    return sum(len(files[n][1]) for n in (names or files))


def _serve(req, name):
    hit = _load().get(name)
    if hit is None:
        raise wsgi.NotFound('No such file.')
    body, zipped, ctype, etag = hit
    resp = webob.Response(content_type=ctype, charset=None)
    resp.headers['Cache-Control'] = 'public, max-age=86400'
    resp.headers['Vary'] = 'Accept-Encoding'
    resp.etag = etag
    if 'gzip' in (req.headers.get('Accept-Encoding') or ''):
        resp.body = zipped
        resp.headers['Content-Encoding'] = 'gzip'
    else:
        resp.body = body
    return resp


def _sessionless(fn):
    """Public, and no session: a static file never reads or sets the cookie
    (a parallel request must not replace the page's session)."""
    fn.sessionless = True
    return wsgi.public(fn)


@_sessionless
def serve(req, name):
    return _serve(req, name)


@_sessionless
def serve_vendor(req, name):
    return _serve(req, 'vendor/' + name)


def add_routes(router):
    router.add('GET', '/static/{name}', serve)
    router.add('GET', '/static/vendor/{name}', serve_vendor)
