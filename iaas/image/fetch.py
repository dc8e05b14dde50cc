"""Compute-side helper: download an image to a local path, verified.

    from iaas.image.fetch import fetch_image
    image = fetch_image('http://host:9292', image_id, '/var/lib/iaas/_base/X',
                        token=ctx.auth_token)

The record is read first (status must be active; size, checksum and
os_hash_value are what the data must match). The data streams to a
temporary file beside ``dest`` while its size, MD5 and ``os_hash_algo``
hash are computed in the same pass; only when all match (and the
``Content-MD5`` header too) is it fsynced and renamed to ``dest``.
Anything else raises :class:`ImageFetchError` and leaves no file behind.
This module talks HTTP only: it never imports the image service's
database code.
"""
import contextlib
import hashlib
import os
import uuid

import requests

from iaas.common import service_auth

CHUNK = 1 << 20


class ImageFetchError(Exception):
    pass


class ImageNotUsable(ImageFetchError):
    """The image does not exist, is not visible, or has no active data."""


def _headers(token, extra):
    h = dict(extra or {})
    if token:
        h['X-Auth-Token'] = token
    return h


def get_image(api_url, image_id, token=None, session=None, timeout=60, headers=None):
    s = session or requests
    r = s.get(f'{api_url.rstrip("/")}/v2/images/{image_id}',
              headers=_headers(token, headers), timeout=timeout)
    if r.status_code == 404:
        raise ImageNotUsable(f'image {image_id} not found')
    if r.status_code != 200:
        raise ImageFetchError(f'GET image {image_id}: HTTP {r.status_code}')
    return r.json()


def fetch_image(api_url, image_id, dest, token=None, session=None, timeout=60,
                headers=None, image=None):
    """Download image ``image_id`` to ``dest``; returns the image record."""
    s = session or requests
    image = image or get_image(api_url, image_id, token, s, timeout, headers)
    if image.get('status') != 'active':
        raise ImageNotUsable(f'image {image_id} is {image.get("status")}, not active')
    algo = image.get('os_hash_algo')
    if algo and algo not in hashlib.algorithms_available:
        raise ImageFetchError(f'image {image_id} uses unknown hash algorithm {algo}')
    md5 = hashlib.md5(usedforsecurity=False)
    multihash = hashlib.new(algo) if algo else None
    tmp = os.path.join(os.path.dirname(os.path.abspath(dest)) or '.',
                       f'.{os.path.basename(dest)}.{uuid.uuid4().hex[:8]}.part')
    size = 0
    try:
        with s.get(f'{api_url.rstrip("/")}/v2/images/{image_id}/file',
                   headers=_headers(token, headers), stream=True, timeout=timeout) as r:
            if r.status_code != 200:
                raise ImageFetchError(f'GET image data {image_id}: HTTP {r.status_code}')
            header_md5 = r.headers.get('Content-MD5')
            with open(tmp, 'wb') as f:
                for chunk in r.iter_content(CHUNK):
                    f.write(chunk)
                    size += len(chunk)
                    md5.update(chunk)
                    if multihash:
                        multihash.update(chunk)
                _verify(image, size, md5.hexdigest(),
                        multihash.hexdigest() if multihash else None, header_md5)
                f.flush()
                os.fsync(f.fileno())
        os.rename(tmp, dest)
    except requests.RequestException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise ImageFetchError(f'download of image {image_id} failed: {exc}') from exc
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return image


def _verify(image, size, md5, multihash, header_md5):
    iid = image.get('id')
    if image.get('size') is not None and size != image['size']:
        raise ImageFetchError(f'image {iid}: got {size} bytes, expected {image["size"]}')
    if image.get('checksum') and md5 != image['checksum']:
        raise ImageFetchError(f'image {iid}: MD5 {md5} does not match {image["checksum"]}')
    if header_md5 and md5 != header_md5:
        raise ImageFetchError(f'image {iid}: MD5 {md5} does not match Content-MD5')
    if image.get('os_hash_value') and multihash != image['os_hash_value']:
        raise ImageFetchError(f'image {iid}: {image.get("os_hash_algo")} hash does not match')


def fetch_as_service(image_id, dest):
    """Download image ``image_id`` to ``dest`` (verified) with the service
    account's token (compute and volume hosts); returns its record.
    ImageFetchError when the image service cannot be reached or the data is
    not the image's."""
    client = service_auth.get_client()
    try:
        return fetch_image(client.endpoint('image'), image_id, dest,
                           token=client.token(), session=client.session)
    except service_auth.ServiceAuthError as exc:
        raise ImageFetchError(f'cannot reach the image service: {exc}') from exc
