"""EC2 request signatures: Version 4 (Authorization header or presigned
query) and Version 2 (``SignatureVersion=2`` in the parameters), checked
against the secret of the EC2 credential named by the request.

:func:`claim` reads what the request claims without the secret;
:meth:`Claim.verify` checks it. Both raise :class:`errors.EC2Error`.
"""
import calendar
import hashlib
import time
import urllib.parse

from iaas.api import awssig
from iaas.api.ec2 import errors

MAX_SKEW = 15 * 60
MAX_PRESIGN = 7 * 24 * 3600


def _utc(value, fmt):
    try:
        return calendar.timegm(time.strptime(value, fmt))
    except (TypeError, ValueError, OverflowError):
        return None


def _iso_time(value):
    """Unix time of a V2 Timestamp/Expires (ISO 8601, with or without
    fractions and zone)."""
    if not value:
        return None
    v = value.strip()
    if v.endswith('Z'):
        v = v[:-1]
    v = v.split('.')[0].split('+')[0]
    return _utc(v, '%Y-%m-%dT%H:%M:%S')


class Claim:
    def __init__(self, version, access, signature, check):
        self.version, self.access, self.signature = version, access, signature
        self._check = check

    def verify(self, secret):
        if not awssig.same(self._check(secret), self.signature):
            raise errors.auth_failure()


def _v4_fields(auth):
    fields = {}
    for part in auth[len(awssig.ALGORITHM):].split(','):
        k, _, v = part.strip().partition('=')
        fields[k] = v
    try:
        cred = fields['Credential'].split('/')
        if len(cred) < 5:
            raise ValueError
        return ('/'.join(cred[:-4]), cred[-4:], fields['SignedHeaders'].split(';'),
                fields['Signature'])
    except (KeyError, ValueError):
        raise errors.EC2Error('IncompleteSignature', 'The request signature does not '
                              'conform to AWS standards.') from None


def _check_scope(scope, region):
    if scope[3] != 'aws4_request' or scope[2] != 'ec2':
        raise errors.EC2Error('IncompleteSignature', 'Credential should be scoped to the '
                              "'ec2' service with a valid terminator: 'aws4_request'.")
    if scope[1] not in (region, 'us-east-1'):
        raise errors.auth_failure(f"Credential should be scoped to a valid region, not "
                                  f"'{scope[1][:32]}'.")


def _canonical_v4(req, signed_headers, body, drop_query=()):
    path = req.environ.get('PATH_INFO') or '/'
    canon_uri = urllib.parse.quote(path, safe='/-_.~')
    query = [(k, v) for k, v in urllib.parse.parse_qsl(req.environ.get('QUERY_STRING', ''),
                                                       keep_blank_values=True)
             if k not in drop_query]
    lines = []
    for h in signed_headers:
        v = req.host if h == 'host' else req.headers.get(h, '')
        lines.append(f"{h}:{' '.join(v.strip().split())}\n")
    payload = req.headers.get('x-amz-content-sha256') or hashlib.sha256(body).hexdigest()
    return '\n'.join([req.method, canon_uri, awssig.canonical_query(query), ''.join(lines),
                      ';'.join(signed_headers), payload])


def claim(req, params, body, region, now=None):
    """The :class:`Claim` of a request, or AuthFailure-like errors when it
    carries no usable signature. ``params`` are the request's pairs (query
    and form), ``body`` its raw body."""
    now = time.time() if now is None else now
    auth = req.headers.get('Authorization', '')
    q = dict(urllib.parse.parse_qsl(req.environ.get('QUERY_STRING', ''),
                                    keep_blank_values=True))
    if auth.startswith(awssig.ALGORITHM):
        access, scope, signed, signature = _v4_fields(auth)
        _check_scope(scope, region)
        amz_date = req.headers.get('x-amz-date') or ''
        t = _utc(amz_date, '%Y%m%dT%H%M%SZ')
        if t is None:
            raise errors.EC2Error('IncompleteSignature', 'X-Amz-Date is required and must '
                                  'be in the form YYYYMMDDTHHMMSSZ.')
        if abs(t - now) > MAX_SKEW:
            raise errors.auth_failure('Signature not yet current or expired: the request '
                                      'time differs from the server time by more than 15 '
                                      'minutes.')
        if 'host' not in signed:
            raise errors.EC2Error('IncompleteSignature', 'The host header must be signed.')
        return Claim(4, access, signature, lambda secret: awssig.v4_signature(
            secret, _canonical_v4(req, signed, body), amz_date, scope)[0])
    if q.get('X-Amz-Algorithm') == awssig.ALGORITHM:
        try:
            cred = q['X-Amz-Credential'].split('/')
            access, scope = '/'.join(cred[:-4]), cred[-4:]
            amz_date, signed = q['X-Amz-Date'], q['X-Amz-SignedHeaders'].split(';')
            signature, expires = q['X-Amz-Signature'], int(q.get('X-Amz-Expires', '900'))
            if len(scope) != 4:
                raise ValueError
        except (KeyError, ValueError):
            raise errors.EC2Error('IncompleteSignature', 'The presigned request is missing '
                                  'X-Amz-Credential, X-Amz-Date, X-Amz-SignedHeaders or '
                                  'X-Amz-Signature.') from None
        _check_scope(scope, region)
        t = _utc(amz_date, '%Y%m%dT%H%M%SZ')
        if t is None or not 0 < expires <= MAX_PRESIGN or t - now > MAX_SKEW or \
                t + expires < now:
            raise errors.auth_failure('Request has expired or is not valid yet.')
        return Claim(4, access, signature, lambda secret: awssig.v4_signature(
            secret, _canonical_v4(req, signed, body, drop_query=('X-Amz-Signature',)),
            amz_date, scope)[0])
    p = dict(params)
    if 'AWSAccessKeyId' in p and 'Signature' in p:
        if p.get('SignatureVersion') != '2':
            raise errors.auth_failure('Only signature versions 2 and 4 are accepted.')
        method = p.get('SignatureMethod', 'HmacSHA256')
        if method not in ('HmacSHA256', 'HmacSHA1'):
            raise errors.auth_failure(f'Unsupported SignatureMethod {method[:32]}.')
        if 'Expires' in p:
            t = _iso_time(p['Expires'])
            if t is None or t < now:
                raise errors.EC2Error('RequestExpired', 'Request has expired.')
        else:
            t = _iso_time(p.get('Timestamp'))
            if t is None:
                raise errors.missing('Timestamp')
            if abs(t - now) > MAX_SKEW:
                raise errors.EC2Error('RequestExpired', 'Request has expired: the timestamp '
                                      'differs from the server time by more than 15 minutes.')
        signed = [(k, v) for k, v in params if k != 'Signature']
        to_sign = '\n'.join([req.method, req.host.lower(),
                             req.environ.get('PATH_INFO') or '/',
                             awssig.canonical_query(signed)])
        return Claim(2, p['AWSAccessKeyId'], p['Signature'],
                     lambda secret: awssig.v2_signature(secret, to_sign, method))
    raise errors.EC2Error('MissingAuthenticationToken', 'Request is missing Authentication '
                          'Token', 401)
