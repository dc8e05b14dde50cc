"""The bucket-name index: which account an anonymous request's bucket is in.

A bucket is a container in its owner's account, and bucket names are
per account (a signed request finds its buckets in its caller's account;
two accounts may each have a bucket ``photos``). An anonymous request
names no account, so its bucket is looked up here: one object a bucket
name in the container :data:`CONTAINER` of the internal account
:data:`ACCOUNT`, whose metadata names the account that holds it.
CreateBucket claims the name (:func:`claim`; the first account to make a
bucket of that name keeps it while that bucket lives), DeleteBucket gives
it back (:func:`release`).

Only an indexed bucket is reachable anonymously (and then only as far as
its ACLs grant AllUsers). Buckets made before the index (or through the
Swift API), or while another account's bucket held the name, are not in
it: their own account's users reach them as before. An entry whose bucket
is gone (deleted through the Swift API) is stale and ignored; the next
claim of the name overwrites it.
"""
import logging

from iaas.api.objectstore.auth import Identity

LOG = logging.getLogger(__name__)
ACCOUNT = '.s3_buckets'
CONTAINER = 'buckets'
META = 'X-Object-Meta-Account'
# the S3 layer's own identity on the index account (never a client's)
INDEX = Identity(user='.s3-index', account=ACCOUNT, roles=('.admin',))


def _entry(s3, bucket):
    """(HEAD status, account named by the entry or None)."""
    resp = s3.swift(INDEX, 'HEAD', CONTAINER, bucket)
    if resp.status_int >= 300:
        return resp.status_int, None
    return resp.status_int, resp.headers.get(META) or None


def _live(s3, account, bucket):
    return s3.proxy.container_info(account, bucket)['status'] != 404


def lookup(s3, bucket):
    """The account whose bucket ``bucket`` is, or None (not indexed, or the
    bucket is gone)."""
    _status, account = _entry(s3, bucket)
    if account is None or not _live(s3, account, bucket):
        return None
    return account


def claim(s3, account, bucket):
    """Index ``bucket`` as ``account``'s unless another account's live
    bucket holds the name; whether it is indexed as ``account``'s. An index
    that cannot be read or written leaves the bucket unindexed."""
    status, owner = _entry(s3, bucket)
    if owner == account:
        return True
    if owner is not None and _live(s3, owner, bucket):
        return False
    if status not in (200, 404):
        LOG.warning('bucket index: HEAD %s answered %s', bucket, status)
        return False
    # a fresh name is claimed only if nobody claimed it meanwhile; a stale
    # entry is overwritten
    headers = {META: account, 'Content-Type': 'application/octet-stream'}
    if status == 404:
        headers['If-None-Match'] = '*'
    resp = _put(s3, bucket, headers)
    if resp.status_int == 412:
        return _entry(s3, bucket)[1] == account
    if resp.status_int >= 300:
        LOG.warning('bucket index: PUT %s answered %s', bucket, resp.status_int)
        return False
    return True


def _put(s3, bucket, headers):
    resp = s3.swift(INDEX, 'PUT', CONTAINER, bucket, headers=headers, body=b'')
    if resp.status_int == 404:       # the index's container is made on first use
        s3.swift(INDEX, 'PUT', CONTAINER)
        resp = s3.swift(INDEX, 'PUT', CONTAINER, bucket, headers=headers, body=b'')
    return resp


def release(s3, account, bucket):
    """Forget ``bucket`` if the index holds it as ``account``'s."""
    _status, owner = _entry(s3, bucket)
    if owner == account:
        s3.swift(INDEX, 'DELETE', CONTAINER, bucket)
