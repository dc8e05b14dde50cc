"""Temporary URLs (Swift's tempurl): an object request signed with a key of
the account (``X-Account-Meta-Temp-URL-Key``/``-2``) or of the container
(``X-Container-Meta-Temp-URL-Key``/``-2``) is let in without a token.

Query: ``temp_url_sig`` (hex sha1/sha256/sha512, or ``<digest>:<base64>``),
``temp_url_expires`` (unix time or ``%Y-%m-%dT%H:%M:%SZ``), optional
``temp_url_prefix`` (signs ``prefix:/v1/a/c/<prefix>``: every object whose
name starts with it), ``temp_url_ip_range``, ``filename``, ``inline``. The
HMAC is over ``[ip=<range>\\n]<METHOD>\\n<expires>\\n<path>``. HEAD is allowed
by a GET, HEAD, PUT or POST signature.

Who may call: anyone holding a valid, unexpired signature, for that method on
that object (or prefix); the request then acts as the account (account key)
or only within that container (container key, :attr:`Identity.scope`).
Signatures are compared in constant time against every key; anything invalid
is 401 without telling why.
"""
import base64
import binascii
import calendar
import hashlib
import hmac
import ipaddress
import os
import time
import urllib.parse

from iaas.api.objectstore.auth import AuthError, Identity
from iaas.api.objectstore.middleware import common

METHODS = ('GET', 'HEAD', 'PUT', 'POST', 'DELETE')
DIGESTS = {'sha1': hashlib.sha1, 'sha256': hashlib.sha256, 'sha512': hashlib.sha512}
HEX_LENGTHS = {40: 'sha1', 64: 'sha256', 128: 'sha512'}
EXPIRES_ISO8601 = '%Y-%m-%dT%H:%M:%SZ'
DISALLOWED_HEADERS = ('x-object-manifest', 'x-symlink-target', 'x-copy-from')
INCOMING_REMOVE = ('x-timestamp', 'x-open-expired')
OUTGOING_REMOVE = ('x-object-meta-',)
OUTGOING_ALLOW = ('x-object-meta-public-',)
KEY_NAMES = ('temp-url-key', 'temp-url-key-2')
INVALID = '401 Unauthorized: Temp URL invalid\n'


def swift_info(proxy):
    return {'tempurl': {'methods': list(METHODS),
                        'incoming_remove_headers': list(INCOMING_REMOVE),
                        'incoming_allow_headers': [],
                        'outgoing_remove_headers': ['x-object-meta-*'],
                        'outgoing_allow_headers': ['x-object-meta-public-*'],
                        'allowed_digests': sorted(DIGESTS),
                        'deprecated_digests': ['sha1']}}


def normalize_expires(value):
    """The expiry as an int, 0 if unparseable or past; None if absent."""
    if value is None:
        return None
    try:
        t = int(value)
    except ValueError:
        try:
            t = calendar.timegm(time.strptime(value, EXPIRES_ISO8601))
        except ValueError:
            t = 0
    return 0 if t < time.time() else t


def extract_digest(value):
    """(algorithm, hex signature) from a client signature; ValueError if bad."""
    if ':' in value:
        algo, b64 = value.split(':', 1)
        if ('-' in b64 or '_' in b64) and not ('+' in b64 or '/' in b64):
            b64 = b64.replace('-', '+').replace('_', '/')
        b64 = b64.rstrip('=')
        b64 += '=' * (-len(b64) % 4)
        try:
            raw = base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError('bad base64') from None
        return algo, raw.hex()
    binascii.unhexlify(value)
    algo = HEX_LENGTHS.get(len(value))
    if not algo:
        raise ValueError('bad digest length')
    return algo, value.lower()


def get_hmac(method, path, expires, key, digest='sha256', ip_range=None):
    msg = f'{method}\n{expires}\n{path}'
    if ip_range:
        msg = f'ip={ip_range}\n' + msg
    return hmac.new(key.encode(), msg.encode(), DIGESTS[digest]).hexdigest()


def disposition(kind, filename):
    return "%s; filename=\"%s\"; filename*=UTF-8''%s" % (
        kind, urllib.parse.quote(filename, safe=' /'), urllib.parse.quote(filename))


def keys_for(proxy, account, container):
    """[(key, scope)] with scope None (account key) or the container name."""
    out = []
    ainfo = common.account_info(proxy, account)
    out += [(ainfo['meta'][k], None) for k in KEY_NAMES if ainfo['meta'].get(k)]
    if container:
        cinfo = common.container_info(proxy, account, container)
        out += [(cinfo['meta'][k], container) for k in KEY_NAMES if cinfo['meta'].get(k)]
    return out


def make(proxy, app):
    def hide_keys(req, resp):
        """Tempurl keys are their owner's only (Swift's owner headers): readers
        through an ACL do not see them."""
        prefixes = ('x-container-meta-temp-url-key', 'x-account-meta-temp-url-key')
        if req.method in ('GET', 'HEAD') and any(
                k.lower().startswith(prefixes) for k in resp.headers):
            parts = common.swift_path(req)
            ident = req.environ.get(common.IDENTITY)
            if parts and not common.may(proxy, ident, 'POST', parts[0], parts[1]):
                for k in [k for k in resp.headers if k.lower().startswith(prefixes)]:
                    del resp.headers[k]
        return resp

    def invalid(req):
        return common.text_response(401, INVALID, method=req.method)

    def handler(req):
        if common.is_internal(req) or req.method == 'OPTIONS':
            return app(req)
        q = common.query(req)
        sig, raw_expires = q.get('temp_url_sig'), q.get('temp_url_expires')
        if sig is None and raw_expires is None:
            return hide_keys(req, app(req))
        expires = normalize_expires(raw_expires)
        if not sig or not expires:
            return invalid(req)
        try:
            algo, sig = extract_digest(sig)
        except ValueError:
            return invalid(req)
        if algo not in DIGESTS:
            return invalid(req)
        prefix = q.get('temp_url_prefix')
        parts = common.swift_path(req)
        if req.method not in METHODS or parts is None or not parts[1]:
            return invalid(req)
        account, container, obj = parts
        root_ok = req.method in ('GET', 'HEAD') and prefix == ''
        if obj is None or not obj.strip('/'):
            if not (root_ok and not obj):
                return invalid(req)
            obj = ''
        ip_range = q.get('temp_url_ip_range')
        if ip_range:
            try:
                if ipaddress.ip_address(req.environ.get('REMOTE_ADDR', '')) not in \
                        ipaddress.ip_network(ip_range):
                    return invalid(req)
            except ValueError:
                return invalid(req)
        keys = keys_for(proxy, account, container)
        if not keys:
            return invalid(req)
        if prefix is None:
            path = f'/v1/{account}/{container}/{obj}'
        else:
            if not obj.startswith(prefix):
                return invalid(req)
            path = f'prefix:/v1/{account}/{container}/{prefix}'
        methods = ('HEAD', 'GET', 'POST', 'PUT') if req.method == 'HEAD' else (req.method,)
        scope, found = None, False
        for key, key_scope in keys:
            for m in methods:
                good = get_hmac(m, path, expires, key, algo, ip_range)
                # constant time, and every candidate is computed and compared
                if hmac.compare_digest(good.encode(), sig.encode()) and not found:
                    scope, found = key_scope, True
        if not found:
            return invalid(req)
        for h in DISALLOWED_HEADERS:
            if h in req.headers:
                return common.text_response(
                    400, f'The header {h!r} is not allowed in this tempurl', method=req.method)
        for h in INCOMING_REMOVE:
            req.headers.pop(h, None)
        for h in ('X-Auth-Token', 'X-Storage-Token'):
            req.headers.pop(h, None)
        ident = Identity(user='.wsgi.tempurl', account=account, scope=(account, scope))
        req.environ[common.IDENTITY] = ident
        keep = {'temp_url_sig': q['temp_url_sig'], 'temp_url_expires': raw_expires}
        if prefix is not None:
            keep['temp_url_prefix'] = prefix
        if q.get('filename'):
            keep['filename'] = q['filename']
        if 'inline' in q:
            keep['inline'] = ''
        req.environ['QUERY_STRING'] = urllib.parse.urlencode(keep)
        try:
            resp = app(req)
        except AuthError as e:
            if e.code in (401, 403):
                return invalid(req)
            raise
        if resp.status_int in (401, 403):
            return invalid(req)
        for k in list(resp.headers):
            lk = k.lower()
            if lk.startswith(OUTGOING_REMOVE) and not lk.startswith(OUTGOING_ALLOW):
                del resp.headers[k]
        if req.method in ('GET', 'HEAD') and 200 <= resp.status_int < 300:
            inline = 'inline' in q
            if req.environ.get(common.GENERATOR) == 'staticweb':
                inline = True
            elif obj == '':
                return invalid(req)
            filename = q.get('filename')
            existing = resp.headers.pop('Content-Disposition', None)
            if inline:
                value = disposition('inline', filename) if filename else 'inline'
            elif filename:
                value = disposition('attachment', filename)
            elif existing:
                value = existing
            else:
                value = disposition('attachment', os.path.basename(obj.rstrip('/')))
            resp.headers['Content-Disposition'] = value.replace('\n', '%0A')
            resp.headers['Expires'] = time.strftime('%a, %d %b %Y %H:%M:%S GMT',
                                                    time.gmtime(expires))
        return resp
    return handler
