"""Account and container listings in Swift's formats: plain, json, xml."""
import urllib.parse
from xml.sax.saxutils import escape, quoteattr

import webob

from iaas.api.objectstore.errors import HTTPError
from iaas.objectstore.utils import header_params, iso_ms, wsgi_to_str

PARAMS = ('marker', 'end_marker', 'prefix', 'delimiter', 'reverse')


TRUE = ('true', '1', 'yes', 'on', 't', 'y')


def backend_params(req, max_limit):
    """The listing query for the storage node, checked as Swift checks it: a
    limit that is not a number is ignored, one over the maximum is 412."""
    q = {}
    for k in PARAMS:
        v = req.GET.get(k)
        if v:
            q[k] = v
    if 'reverse' in q:
        q['reverse'] = 'true' if q['reverse'].lower() in TRUE else ''
        if not q['reverse']:
            del q['reverse']
    path = req.GET.get('path')
    if path is not None:
        q['path'] = path
    limit = (req.GET.get('limit') or '').strip()
    if limit.isdigit():
        n = int(limit)
        if n > max_limit:
            raise HTTPError(412, f'Maximum limit is {max_limit}')
        q['limit'] = str(n)
    return '\x00' + urllib.parse.urlencode(q) if q else ''


def out_format(req):
    fmt = req.GET.get('format', '').lower()
    if fmt in ('json', 'xml', 'plain'):
        return fmt
    accept = req.headers.get('Accept', '')
    if 'application/json' in accept:
        return 'json'
    if 'application/xml' in accept or 'text/xml' in accept:
        return 'xml'
    return 'plain'


def content_type(req):
    return {'json': 'application/json; charset=utf-8',
            'xml': 'application/xml; charset=utf-8'}.get(out_format(req),
                                                         'text/plain; charset=utf-8')


def object_entry(row, path=None):
    """A container listing entry; ``path`` (``/v1/<a>/<c>``, text) names the
    current versions of a versioned container (see :func:`version_row`)."""
    if 'subdir' in row:
        return {'subdir': row['subdir']}
    entry = {'name': row['name'], 'hash': row['etag'], 'bytes': int(row['size']),
             # stored as the object's header came (UTF-8 as latin-1)
             'content_type': wsgi_to_str(row['content_type']),
             'last_modified': iso_ms(row['created_at'])}
    return with_slo_etag(with_version(entry, path))


# --- the current version of a versioned container ------------------------------------------
# Swift's current version is a symlink to the version in the hidden versions
# container: its listing row counts no bytes (the container's totals are its
# own objects' plus the versions container's) and shows the version's bytes
# and hash, ``version_symlink`` and ``symlink_path`` (``...?version-id=``).
# Ours is a copy of the version whose row says the same through the container
# update override (size 0, the version's bytes and id as hash parameters).
VERSION_COPY = 'iaas.objectstore.version_copy'   # environ: the copy is version <id>'s
OVERRIDE_SIZE = 'X-Object-Sysmeta-Container-Update-Override-Size'
OVERRIDE_ETAG = 'X-Object-Sysmeta-Container-Update-Override-Etag'


def version_row(req, size, etag):
    """The container update override of the copy a request writes as the
    current version (environ :data:`VERSION_COPY`, set by the versioning
    filter only), given the row it would have had; else nothing."""
    vid = req.environ.get(VERSION_COPY)
    if not vid:
        return {}
    return {OVERRIDE_SIZE: '0', OVERRIDE_ETAG: '%s; version_bytes=%d; version_id=%s' % (
        str(etag).strip('"'), int(size), vid)}


def row_as_listed(row):
    """A storage listing row with the size and hash its entry shows."""
    if 'etag' not in row:
        return row
    entry = with_version({'hash': row['etag'], 'bytes': row['size']}, None)
    return dict(row, etag=entry['hash'], size=entry['bytes'])


def with_version(entry, path):
    """The entry of a current version's row as Swift lists its symlink."""
    base, params = split_hash(entry.get('hash') or '')
    if 'version_id' not in params:
        return entry
    vid, size = params.pop('version_id'), params.pop('version_bytes', '0')
    entry['hash'] = base + ''.join(f'; {k}={v}' for k, v in params.items())
    entry['bytes'] = int(size) if size.isdigit() else 0
    if path:
        entry['symlink_path'] = urllib.parse.quote(
            f"{path}/{entry['name']}") + '?version-id=' + vid
        entry['version_symlink'] = True
    return entry


def with_slo_etag(entry):
    """A listing entry as Swift shows it: a manifest's stored hash
    ``<manifest md5>; s3_etag=…; slo_etag=…`` keeps its other parameters
    (``s3_etag``) and gives ``slo_etag`` a key of its own, quoted."""
    base, params = split_hash(entry.get('hash') or '')
    if 'slo_etag' in params:
        entry['slo_etag'] = '"%s"' % params.pop('slo_etag')
        entry['hash'] = base + ''.join(f'; {k}={v}' for k, v in params.items())
    return entry


def split_hash(value):
    """(etag, {parameter: value}) of a listing hash ``etag; k=v; …``."""
    return header_params(value)


def s3_etag(entry):
    """The ETag S3 shows for a listing entry (a multipart upload's own)."""
    base, params = split_hash(entry.get('hash') or '')
    return params.get('s3_etag') or entry.get('s3_etag') or base


def listing_etag(manifest_etag, slo_etag, s3_etag=None):
    """The hash a manifest's listing row stores (Swift's container update
    override): the manifest's MD5 with its S3 and SLO ETags as parameters."""
    value = manifest_etag.strip('"')
    if s3_etag:
        value += f'; s3_etag={s3_etag}'
    return value + f'; slo_etag={slo_etag}'


DEFAULT_POLICY = 'Policy-0'


def container_entry(row):
    if 'subdir' in row:
        return {'subdir': row['subdir']}
    return {'name': row['name'], 'count': int(row['object_count']),
            'bytes': int(row['bytes_used']), 'last_modified': iso_ms(row['put_timestamp']),
            'storage_policy': DEFAULT_POLICY}


def render(req, kind, name, rows, headers, path=None):
    """``path``: the container's ``/v1/<a>/<c>`` (text), for :func:`object_entry`."""
    entries = [object_entry(r, path) if kind == 'container' else container_entry(r)
               for r in rows]
    fmt = out_format(req)
    if fmt == 'json':
        import json
        body = json.dumps(entries).encode()
        ctype = 'application/json; charset=utf-8'
    elif fmt == 'xml':
        body = _xml(kind, name, entries).encode()
        ctype = 'application/xml; charset=utf-8'
    else:
        if not entries:
            resp = webob.Response(status=204, headers=headers, charset=None)
            resp.headers['Content-Type'] = 'text/plain; charset=utf-8'
            resp.headers['Content-Length'] = '0'
            return resp
        body = ''.join((e.get('name') or e.get('subdir')) + '\n' for e in entries).encode()
        ctype = 'text/plain; charset=utf-8'
    resp = webob.Response(status=200, headers=headers, body=body, charset=None)
    resp.headers['Content-Type'] = ctype
    return resp


def _xml(kind, name, entries):
    tag = 'object' if kind == 'container' else 'container'
    out = ['<?xml version="1.0" encoding="UTF-8"?>', f'<{kind} name={quoteattr(name)}>']
    for e in entries:
        if 'subdir' in e:
            out.append(f'<subdir name={quoteattr(e["subdir"])}><name>{escape(e["subdir"])}'
                       '</name></subdir>')
            continue
        fields = ''.join(f'<{k}>{escape(str(v))}</{k}>' for k, v in e.items())
        out.append(f'<{tag}>{fields}</{tag}>')
    out.append(f'</{kind}>')
    return ''.join(out)
