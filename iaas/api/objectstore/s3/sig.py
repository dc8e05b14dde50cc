"""S3 request authentication: AWS Signature Version 4 (Authorization
header and presigned query) and Version 2 (header and presigned query).

:func:`parse` extracts what the request claims (access key and how to
check it); :meth:`SigRequest.check` verifies the signature against the
secret. Both raise :class:`S3AuthError` with the S3 error code.
"""
import base64
import calendar
import hashlib
import hmac
import time
import urllib.parse

from iaas.api import awssig
from iaas.common.httpgateway import RAW_HEADERS

MAX_SKEW = 15 * 60
MAX_PRESIGN = 7 * 24 * 3600
EMPTY_SHA256 = hashlib.sha256(b'').hexdigest()
V2_SUBRESOURCES = {'acl', 'delete', 'lifecycle', 'location', 'logging', 'notification',
                   'partNumber', 'policy', 'requestPayment', 'tagging', 'torrent', 'uploadId',
                   'uploads', 'versionId', 'versioning', 'versions', 'website', 'cors',
                   'response-cache-control', 'response-content-disposition',
                   'response-content-encoding', 'response-content-language',
                   'response-content-type', 'response-expires'}


def _canonical_uri(environ, safe):
    """The path as signed: each segment of the path the client sent decoded
    and encoded again (an escaped ``%2F`` stays inside its segment)."""
    raw = environ.get('REQUEST_URI') or environ.get('RAW_URI')
    if raw:
        raw = raw.split('?', 1)[0].split('#', 1)[0]
        if not raw.startswith('/'):
            raw = '/' + raw.split('://', 1)[-1].partition('/')[2]
        segments = [urllib.parse.unquote(s, errors='surrogateescape') for s in raw.split('/')]
    else:
        path = environ.get('PATH_INFO', '/')
        try:
            path = path.encode('latin-1').decode('utf-8')
        except UnicodeError:
            pass
        segments = path.split('/')
    return '/'.join(urllib.parse.quote(s, safe=safe.replace('/', ''), errors='surrogateescape')
                    for s in segments)


class S3AuthError(Exception):
    def __init__(self, code, message, status=403):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def _uri_encode(s, safe='-_.~'):
    return urllib.parse.quote(s, safe=safe)


def underscored(environ):
    """[(name, value)] of the request's fields whose names hold '_' (names
    lowercased): the WSGI environ has none (X_A would pass for X-A there),
    yet S3 clients sign and store them (x-amz-meta-a_b)."""
    return [(n, v) for n, v in environ.get(RAW_HEADERS, ()) if '_' in n]


def _raw_query(environ):
    """[(key, value)] of the query string, decoded."""
    return urllib.parse.parse_qsl(environ.get('QUERY_STRING', ''), keep_blank_values=True)


def _amz_time(value):
    try:
        return calendar.timegm(time.strptime(value, '%Y%m%dT%H%M%SZ'))
    except (TypeError, ValueError, OverflowError):
        raise S3AuthError('AccessDenied', 'AWS authentication requires a valid Date or '
                          'x-amz-date header') from None


def _http_time(value):
    """Unix time of a Date / x-amz-date header (RFC 1123 or ISO 8601 basic)."""
    if not value:
        raise S3AuthError('AccessDenied', 'AWS authentication requires a valid Date or '
                          'x-amz-date header')
    if value[:8].isdigit() and value.endswith('Z'):
        return _amz_time(value)
    import email.utils
    try:
        dt = email.utils.parsedate_to_datetime(value)
        if dt is None:
            raise ValueError(value)
        if dt.timestamp() < 0:       # before the epoch: not a valid date at all
            raise ValueError(value)
        return dt.timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        raise S3AuthError('AccessDenied', 'AWS authentication requires a valid Date or '
                          'x-amz-date header') from None


def _check_skew(t, now):
    if abs(t - now) > MAX_SKEW:
        raise S3AuthError('RequestTimeTooSkewed', 'The difference between the request '
                          'time and the current time is too large.')


class ChunkSigner:
    """Expected signatures of the chunks of a signed aws-chunked body."""

    def __init__(self, key, amz_date, scope, seed):
        self.key, self.amz_date, self.scope, self.previous = key, amz_date, scope, seed

    def _sign(self, kind, last_line):
        to_sign = '\n'.join([kind, self.amz_date, self.scope, self.previous] + last_line)
        return hmac.new(self.key, to_sign.encode(), hashlib.sha256).hexdigest()

    def verify_chunk(self, data, signature):
        good = self._sign('AWS4-HMAC-SHA256-PAYLOAD',
                          [EMPTY_SHA256, hashlib.sha256(data).hexdigest()])
        if not signature or not hmac.compare_digest(good, signature):
            raise S3AuthError('SignatureDoesNotMatch', 'The chunk signature does not match.')
        self.previous = good

    def verify_trailer(self, trailer, signature):
        good = self._sign('AWS4-HMAC-SHA256-TRAILER', [hashlib.sha256(trailer).hexdigest()])
        if not signature or not hmac.compare_digest(good, signature):
            raise S3AuthError('SignatureDoesNotMatch',
                              'The trailer signature does not match.')


class SigRequest:
    """What a request claims: access key, signature and how to rebuild it."""

    def __init__(self, version, access_key, signature, req, **extra):
        self.version, self.access_key, self.signature, self.req = \
            version, access_key, signature, req
        self.extra = extra

    def check(self, secret, region):
        if self.version == 4:
            good = hmac.compare_digest(self._v4(secret, region), self.signature)
        else:
            # botocore signs a bucket-level path with a trailing '/' it does not send
            good = any(hmac.compare_digest(self._v2(secret, slash), self.signature)
                       for slash in (False, True))
        if not good:
            raise S3AuthError('SignatureDoesNotMatch', 'The request signature we calculated '
                              'does not match the signature you provided. Check your key '
                              'and signing method.')

    # --- V4 -----------------------------------------------------------------
    def _v4(self, secret, region):
        req, x = self.req, self.extra
        scope_region = x['scope'][1]
        if scope_region != region and scope_region != 'us-east-1' and region != '*':
            raise S3AuthError('AuthorizationHeaderMalformed',
                              f"the region '{scope_region}' is wrong; expecting '{region}'",
                              400)
        canon_uri = _canonical_uri(req.environ, '/-_.~')
        query = [(k, v) for k, v in _raw_query(req.environ)
                 if not (x['presigned'] and k == 'X-Amz-Signature')]
        canon_query = '&'.join(f'{_uri_encode(k)}={_uri_encode(v)}'
                               for k, v in sorted(query))
        headers = []
        extra = underscored(req.environ)
        for h in x['signed_headers']:
            if h == 'host':
                v = req.host
            elif '_' in h:
                v = ','.join(v for n, v in extra if n == h)
            else:
                v = req.headers.get(h, '')
            headers.append(f"{h}:{' '.join(v.strip().split())}\n")
        payload = 'UNSIGNED-PAYLOAD' if x['presigned'] else \
            req.headers.get('x-amz-content-sha256', '')
        canonical = '\n'.join([req.method, canon_uri, canon_query, ''.join(headers),
                               ';'.join(x['signed_headers']), payload])
        signature, key = awssig.v4_signature(secret, canonical, x['amz_date'], x['scope'])
        self.signing_key, self.scope = key, '/'.join(x['scope'])
        return signature

    def chunk_signer(self):
        """The signatures of an aws-chunked body (STREAMING-AWS4-HMAC-SHA256-
        PAYLOAD): each chunk's is chained from the previous one, the first
        from the request's; only after :meth:`check` of a V4 header request."""
        if self.version != 4 or self.extra['presigned'] or \
                getattr(self, 'signing_key', None) is None:
            raise S3AuthError('AccessDenied', 'Signed aws-chunked uploads need a V4 '
                              'Authorization header')
        return ChunkSigner(self.signing_key, self.extra['amz_date'], self.scope,
                           self.signature)

    # --- V2 -----------------------------------------------------------------
    def _v2(self, secret, slash=False):
        req, x = self.req, self.extra
        amz = sorted((k.lower(), ' '.join(v.strip().split()))
                     for k, v in list(req.headers.items()) + underscored(req.environ)
                     if k.lower().startswith('x-amz-'))
        amz_lines = ''.join(f'{k}:{v}\n' for k, v in amz)
        date = x['expires'] if x['presigned'] else (
            '' if 'x-amz-date' in req.headers else req.headers.get('Date', ''))
        resource = _canonical_uri(req.environ, '/~')
        if slash:
            resource += '/'
        sub = sorted((k, v) for k, v in _raw_query(req.environ) if k in V2_SUBRESOURCES)
        if sub:
            resource += '?' + '&'.join(f'{k}={v}' if v else k for k, v in sub)
        to_sign = '\n'.join([req.method, req.headers.get('Content-MD5', ''),
                             req.headers.get('Content-Type', ''), date]) + '\n' + \
            amz_lines + resource
        return base64.b64encode(hmac.new(secret.encode(), to_sign.encode(),
                                         hashlib.sha1).digest()).decode()


def parse(req, now=None):
    """SigRequest of an S3 request, or None when it is anonymous."""
    now = time.time() if now is None else now
    auth = req.headers.get('Authorization', '')
    q = req.GET
    if auth.startswith('AWS4-HMAC-SHA256'):
        fields = {}
        for part in auth[len('AWS4-HMAC-SHA256'):].split(','):
            k, _, v = part.strip().partition('=')
            fields[k] = v
        try:
            cred = fields['Credential'].split('/')
            access, scope = '/'.join(cred[:-4]), cred[-4:]
            signed = fields['SignedHeaders'].split(';')
            sig = fields['Signature']
        except (KeyError, IndexError):
            raise S3AuthError('AuthorizationHeaderMalformed',
                              'The authorization header is malformed', 400) from None
        amz_date = req.headers.get('x-amz-date') or ''
        if not amz_date:
            raise S3AuthError('AccessDenied', 'x-amz-date is required')
        _check_skew(_amz_time(amz_date), now)
        return SigRequest(4, access, sig, req, scope=scope, signed_headers=signed,
                          amz_date=amz_date, presigned=False)
    if q.get('X-Amz-Algorithm') == 'AWS4-HMAC-SHA256':
        try:
            cred = q['X-Amz-Credential'].split('/')
            access, scope = '/'.join(cred[:-4]), cred[-4:]
            amz_date = q['X-Amz-Date']
            expires = q['X-Amz-Expires']
            signed = q['X-Amz-SignedHeaders'].split(';')
            sig = q['X-Amz-Signature']
        except (KeyError, ValueError, IndexError):
            raise S3AuthError('AuthorizationQueryParametersError',
                              'Query-string authentication requires X-Amz-Credential, '
                              'X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders and '
                              'X-Amz-Signature', 400) from None
        expires = _presign_expires(expires)
        signed_at = _amz_time(amz_date)
        if signed_at - now > MAX_SKEW:
            raise S3AuthError('AccessDenied', 'Request is not valid yet')
        if signed_at + expires < now or expires == 0:     # 0: expired at once (403)
            raise S3AuthError('AccessDenied', 'Request has expired')
        return SigRequest(4, access, sig, req, scope=scope, signed_headers=signed,
                          amz_date=amz_date, presigned=True)
    if auth.startswith('AWS '):
        access, _, sig = auth[4:].rpartition(':')
        if not access:
            raise S3AuthError('InvalidArgument', 'AWS authorization header is invalid', 400)
        date = req.headers['x-amz-date'] if 'x-amz-date' in req.headers \
            else req.headers.get('Date')
        _check_skew(_http_time(date), now)
        return SigRequest(2, access, sig, req, presigned=False)
    if 'AWSAccessKeyId' in q and 'Signature' in q:
        try:
            expires = int(q.get('Expires', ''))
        except ValueError:
            raise S3AuthError('AccessDenied', 'Invalid Expires') from None
        if expires < now:
            raise S3AuthError('AccessDenied', 'Request has expired')
        if expires >= 2 ** 31:
            raise S3AuthError('AccessDenied', 'Invalid date (should be seconds since epoch): '
                              + q['Expires'])
        return SigRequest(2, q['AWSAccessKeyId'], q['Signature'], req, presigned=True,
                          expires=str(expires))
    return None


def _presign_expires(value):
    """X-Amz-Expires as an int, checked as S3 (and Swift's s3api) check it."""
    try:
        expires = int(value)
    except ValueError:
        expires = None
    if expires is None or expires >= 2 ** 63:
        err = 'X-Amz-Expires should be a number'
    elif expires < 0:
        err = 'X-Amz-Expires must be non-negative'
    elif expires > MAX_PRESIGN:
        err = ('X-Amz-Expires must be less than a week (in seconds); that is, the given '
               f'X-Amz-Expires must be less than {MAX_PRESIGN} seconds')
    else:
        return expires
    raise S3AuthError('AuthorizationQueryParametersError', err, 400)
