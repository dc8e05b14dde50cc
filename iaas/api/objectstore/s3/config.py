"""Configuration documents S3 keeps beside a bucket (CORS rules, the tag
set, the public access block): each is one JSON document in the bucket's
container system metadata, ``X-Container-Sysmeta-S3-<Name>`` = number of
pieces and ``…-<Name>-<i>`` = the pieces (a backend header carries one).

Only the S3 layer writes these (its subrequests are trusted with sysmeta);
clients never see them.
"""
import json

from iaas.api.objectstore.middleware import common
from iaas.api.objectstore.s3.xmldoc import S3Error, parse

PREFIX = 'X-Container-Sysmeta-S3-'
PIECE = 4096
MAX_PIECES = 16          # a stored document is at most 64 KiB
MAX_BODY = 64 * 1024     # a configuration's XML body


def read_xml(req, limit=MAX_BODY):
    """The request body parsed (namespaces dropped), refused before it is
    read when it declares more than ``limit`` bytes."""
    if req.content_length is not None and req.content_length > limit:
        raise S3Error('MaxMessageLengthExceeded', 'Your request was too big.', 400)
    body = req.body_file.read(limit + 1)
    if len(body) > limit:
        raise S3Error('MaxMessageLengthExceeded', 'Your request was too big.', 400)
    if not body.strip():
        raise S3Error('MalformedXML')
    return parse(body, limit)


def bucket_sysmeta(s3, account, bucket):
    """The bucket's container sysmeta (names lowercased, prefix removed);
    NoSuchBucket when it does not exist."""
    info = common.container_info(s3.proxy, account, bucket)
    if info['status'] == 404:
        raise S3Error('NoSuchBucket', BucketName=bucket)
    if info['status'] >= 300:
        raise S3Error('ServiceUnavailable')
    return info['sysmeta']


def _pieces(sysmeta, name):
    try:
        return max(0, min(int(sysmeta.get('s3-' + name.lower()) or 0), MAX_PIECES))
    except ValueError:
        return 0


def load(s3, account, bucket, name):
    """The stored document ``name`` of a bucket, or None."""
    sysmeta = bucket_sysmeta(s3, account, bucket)
    n = _pieces(sysmeta, name)
    if not n:
        return None
    key = 's3-' + name.lower()
    try:
        return json.loads(''.join(sysmeta.get(f'{key}-{i}', '') for i in range(n)))
    except ValueError:
        return None


def store(s3, ident, bucket, name, doc):
    """Store (``doc`` not None) or remove a bucket's document ``name``."""
    old = _pieces(bucket_sysmeta(s3, ident.account, bucket), name)
    text = '' if doc is None else json.dumps(doc, separators=(',', ':'))  # ASCII
    pieces = [text[i:i + PIECE] for i in range(0, len(text), PIECE)]
    if len(pieces) > MAX_PIECES:
        raise S3Error('MaxMessageLengthExceeded', 'Your request was too big.', 400)
    headers = {PREFIX + name: str(len(pieces)) if pieces else ''}
    for i in range(max(old, len(pieces))):
        headers[f'{PREFIX}{name}-{i}'] = pieces[i] if i < len(pieces) else ''
    resp = s3.swift(ident, 'POST', bucket, headers=headers)
    if resp.status_int == 404:
        raise S3Error('NoSuchBucket', BucketName=bucket)
    if resp.status_int >= 300:
        raise S3Error('AccessDenied' if resp.status_int in (401, 403) else 'ServiceUnavailable')


def flag(value):
    """An XML boolean ('true'/'false', absent = False); MalformedXML else."""
    if value is None:
        return False
    value = value.strip().lower()
    if value not in ('true', 'false'):
        raise S3Error('MalformedXML')
    return value == 'true'
