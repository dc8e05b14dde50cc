"""S3 bucket CORS: Put/Get/DeleteBucketCors (the bucket's ``Cors`` document,
:mod:`config`), the preflight ``OPTIONS`` on a bucket or object, and the
``Access-Control-*`` headers of S3 answers to requests with an ``Origin``.

A request matches the first rule that allows its origin (``*`` in an
AllowedOrigin matches any run of characters), its method (the preflight's
Access-Control-Request-Method, else the request's own) and, for a
preflight, every Access-Control-Request-Headers name (AllowedHeader, ``*``
as for origins, case-insensitive). Swift's container CORS
(:mod:`iaas.api.objectstore.middleware.cors`) is a single origin list without
rules or wildcards, so only the response header names are shared.

Who may call: Put/Delete as any bucket configuration write; the preflight is
anonymous (browsers send no credentials with it). It needs the bucket's
account: taken from the access key a request names (Authorization header or
presigned query, not verified: the answer only says what the owner
published for browsers), else from the bucket index, see
:func:`bucket_account`.
"""
import re

import webob

from iaas.api.objectstore.s3 import buckets as s3buckets
from iaas.api.objectstore.s3 import config as s3config
from iaas.api.objectstore.s3 import sig as s3sig
from iaas.api.objectstore.s3.xmldoc import S3Error, add, element, xml_response

NAME = 'Cors'
METHODS = ('GET', 'PUT', 'HEAD', 'POST', 'DELETE')
MAX_RULES = 100
MAX_ITEMS = 64          # origins / headers / methods of one rule
FORBIDDEN = ('CORSResponse: This CORS request is not allowed. This is usually because the '
             'evaluation of Origin, request method / Access-Control-Request-Method or '
             'Access-Control-Request-Headers are not whitelisted by the resource\'s CORS '
             'spec.')


# --- configuration --------------------------------------------------------------------
def _texts(rule, tag):
    out = [(el.text or '').strip() for el in rule.findall(tag)]
    if len(out) > MAX_ITEMS:
        raise S3Error('MalformedXML')
    return out


def _one_wildcard(values, what):
    for v in values:
        if v.count('*') > 1:
            raise S3Error('InvalidRequest', f'{what} "{v}" can not have more than one '
                                            'wildcard.')


def parse_rules(root):
    if root.tag != 'CORSConfiguration':
        raise S3Error('MalformedXML')
    rules = []
    for el in root:
        if el.tag != 'CORSRule':
            raise S3Error('MalformedXML')
        rule = {'methods': _texts(el, 'AllowedMethod'), 'origins': _texts(el, 'AllowedOrigin'),
                'headers': _texts(el, 'AllowedHeader'), 'expose': _texts(el, 'ExposeHeader')}
        if not rule['methods'] or not rule['origins']:
            raise S3Error('MalformedXML')
        for m in rule['methods']:
            if m not in METHODS:
                raise S3Error('InvalidRequest', 'Found unsupported HTTP method in CORS '
                                                f'config. Unsupported method is {m}')
        _one_wildcard(rule['origins'], 'AllowedOrigin')
        _one_wildcard(rule['headers'], 'AllowedHeader')
        if el.find('ID') is not None:
            rule['id'] = (el.findtext('ID') or '')[:255]
        max_age = el.findtext('MaxAgeSeconds')
        if max_age is not None:
            if not max_age.strip().isdigit() or len(max_age.strip()) > 10:
                raise S3Error('MalformedXML')
            rule['max_age'] = int(max_age)
        rules.append(rule)
        if len(rules) > MAX_RULES:
            raise S3Error('InvalidRequest', f'CORS configuration must not have more than '
                                            f'{MAX_RULES} rules')
    if not rules:
        raise S3Error('MalformedXML')
    return rules


def put_bucket_cors(s3, req, ident, bucket):
    s3config.bucket_sysmeta(s3, ident.account, bucket)
    rules = parse_rules(s3config.read_xml(req))
    s3config.store(s3, ident, bucket, NAME, rules)
    return webob.Response(status=200)


def rules_of(s3, account, bucket):
    rules = s3config.load(s3, account, bucket, NAME)
    return rules if isinstance(rules, list) else None


def get_bucket_cors(s3, req, ident, bucket):
    rules = rules_of(s3, ident.account, bucket)
    if not rules:
        raise S3Error('NoSuchCORSConfiguration', 'The CORS configuration does not exist',
                      404, BucketName=bucket)
    root = element('CORSConfiguration')
    for r in rules:
        fields = [('ID', r['id'])] if 'id' in r else []
        fields += [('AllowedHeader', h) for h in r.get('headers', ())]
        fields += [('AllowedMethod', m) for m in r.get('methods', ())]
        fields += [('AllowedOrigin', o) for o in r.get('origins', ())]
        fields += [('ExposeHeader', h) for h in r.get('expose', ())]
        if 'max_age' in r:
            fields.append(('MaxAgeSeconds', r['max_age']))
        add(root, 'CORSRule', fields)
    return xml_response(root)


def delete_bucket_cors(s3, req, ident, bucket):
    s3config.store(s3, ident, bucket, NAME, None)
    return webob.Response(status=204)


# --- matching -------------------------------------------------------------------------
def wildcard_match(pattern, value, ignore_case=False):
    """``pattern`` with at most one ``*`` (any run of characters) matches ``value``."""
    flags = re.IGNORECASE if ignore_case else 0
    regex = '.*'.join(re.escape(p) for p in pattern.split('*'))
    return re.fullmatch(regex, value, flags) is not None


def match(rules, origin, method, headers=()):
    """The first rule allowing this origin, method and request headers."""
    for r in rules or ():
        if method not in r.get('methods', ()):
            continue
        if not any(wildcard_match(o, origin) for o in r.get('origins', ())):
            continue
        if all(any(wildcard_match(a, h, True) for a in r.get('headers', ())) for h in headers):
            return r
    return None


def allow_headers(rule, origin, resp):
    """The Access-Control-* headers a matched rule gives an answer."""
    wildcard = '*' in rule.get('origins', ())
    resp.headers['Access-Control-Allow-Origin'] = '*' if wildcard else origin
    if not wildcard:
        resp.headers['Access-Control-Allow-Credentials'] = 'true'
    resp.headers['Access-Control-Allow-Methods'] = ', '.join(rule['methods'])
    if rule.get('expose'):
        resp.headers['Access-Control-Expose-Headers'] = ', '.join(rule['expose'])
    if 'max_age' in rule:
        resp.headers['Access-Control-Max-Age'] = str(rule['max_age'])
    resp.headers['Vary'] = 'Origin, Access-Control-Request-Headers, ' \
                           'Access-Control-Request-Method'


# --- requests -------------------------------------------------------------------------
def bucket_account(s3, req, bucket):
    """The account a bucket of this anonymous request is looked for in: that
    of the access key it names (signature not checked), else the one the
    bucket index names (:mod:`.buckets`), else None."""
    try:
        sig = s3sig.parse(req) if _names_a_key(req) else None
    except s3sig.S3AuthError:
        sig = None
    if sig is None:
        return s3buckets.lookup(s3, bucket)
    try:
        cred = s3.proxy.auth.s3_credential(sig.access_key)
        return cred[1]().account if cred else None
    except Exception:       # an unknown / disabled key is as none
        return None


def _names_a_key(req):
    return bool(req.headers.get('Authorization') or req.GET.get('X-Amz-Credential')
                or req.GET.get('AWSAccessKeyId'))


def preflight(s3, req, bucket):
    """OPTIONS on a bucket or object."""
    origin = req.headers.get('Origin')
    method = req.headers.get('Access-Control-Request-Method')
    if not origin:
        raise S3Error('BadRequest', 'Insufficient information. Origin request header '
                                    'needed.', 400)
    if not method:
        raise S3Error('BadRequest', 'Invalid Access-Control-Request-Method: null', 400)
    account = bucket_account(s3, req, bucket)
    if account is None:
        raise S3Error('AccessForbidden', FORBIDDEN, 403)
    rules = rules_of(s3, account, bucket)
    if not rules:
        raise S3Error('AccessForbidden', 'CORSResponse: CORS is not enabled for this '
                                         'bucket.', 403)
    asked = [h.strip() for h in req.headers.get('Access-Control-Request-Headers', '').split(',')
             if h.strip()][:MAX_ITEMS]
    rule = match(rules, origin, method, asked)
    if rule is None:
        raise S3Error('AccessForbidden', FORBIDDEN, 403)
    resp = webob.Response(status=200, body=b'', content_type='text/html', charset='UTF-8')
    allow_headers(rule, origin, resp)
    if asked:
        resp.headers['Access-Control-Allow-Headers'] = ', '.join(asked)
    return resp


def decorate(s3, req, resp, account, bucket):
    """Add the CORS headers of the bucket's matching rule to an S3 answer
    (errors too) to a request with an Origin."""
    origin = req.headers.get('Origin')
    if not origin or not bucket or 'Access-Control-Allow-Origin' in resp.headers:
        return resp
    try:
        rules = rules_of(s3, account, bucket)
    except S3Error:
        return resp
    method = req.headers.get('Access-Control-Request-Method') or req.method
    rule = match(rules, origin, method)
    if rule is not None:
        allow_headers(rule, origin, resp)
    return resp

