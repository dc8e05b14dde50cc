"""AWS Signature Version 4 and 2 primitives shared by the S3 and EC2 APIs:
the signing key, the string to sign and the URI encoding of the
canonical forms. Each API builds its own canonical request (S3 signs
headers and payload hashes its own way, EC2 signs its form body).
"""
import base64
import hashlib
import hmac
import urllib.parse

ALGORITHM = 'AWS4-HMAC-SHA256'


def uri_encode(s, safe='-_.~'):
    """RFC 3986 percent-encoding as AWS signs it (only unreserved kept)."""
    return urllib.parse.quote(s, safe=safe)


def canonical_query(pairs):
    """``k=v&…`` of ``pairs`` encoded and sorted (by encoded key, then
    value), as both versions sign it."""
    return '&'.join(f'{k}={v}' for k, v in
                    sorted((uri_encode(k), uri_encode(v)) for k, v in pairs))


def signing_key(secret, date, region, service):
    key = ('AWS4' + secret).encode()
    for part in (date, region, service, 'aws4_request'):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def v4_signature(secret, canonical_request, amz_date, scope):
    """(hex signature, signing key) of a canonical request; ``scope`` is
    [date, region, service, 'aws4_request']."""
    to_sign = '\n'.join([ALGORITHM, amz_date, '/'.join(scope),
                         hashlib.sha256(canonical_request.encode()).hexdigest()])
    key = signing_key(secret, scope[0], scope[1], scope[2])
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest(), key


def v2_signature(secret, to_sign, method='HmacSHA256'):
    """base64 HMAC of a Signature Version 2 string to sign."""
    digest = hashlib.sha1 if method == 'HmacSHA1' else hashlib.sha256
    return base64.b64encode(hmac.new(secret.encode(), to_sign.encode(), digest).digest()
                            ).decode()


def same(a, b):
    """Constant-time comparison of two signatures (str)."""
    return hmac.compare_digest(a.encode(), b.encode())
