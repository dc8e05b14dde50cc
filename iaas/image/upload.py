"""Images made from a server or a volume (a snapshot, an upload): the
image service's client side, over HTTP only.

The API process creates the image record (queued) with the user's token
(:func:`create_record`); the compute or volume host streams the data with
the service account's token (``[service_user]``, :func:`uploader`) or
deletes the record when it failed (:func:`discard`).
"""
import logging

import requests

from iaas.common import service_auth
from iaas.conf import CONF

LOG = logging.getLogger(__name__)


class SnapshotUploadError(Exception):
    pass


class ImageServiceError(Exception):
    """The image service refused or could not be reached; ``code`` is the
    HTTP status to answer the user with."""

    def __init__(self, message, code):
        super().__init__(message)
        self.code = code


def image_url():
    return f'http://{CONF.api.public_host}:{CONF.image.port}'


def create_record(token, body):
    """Create a queued image with ``body`` as the user of ``token``; its id."""
    try:
        r = requests.post(f'{image_url()}/v2/images', json=body, timeout=30,
                          headers={'X-Auth-Token': token or ''})
    except requests.RequestException as exc:
        raise ImageServiceError(f'Image service unavailable: {exc}', 503) from None
    if r.status_code != 201:
        raise ImageServiceError(f'Image service refused the image: {r.status_code} '
                                f'{r.text[:300]}', r.status_code if r.status_code in
                                (400, 403, 409, 413) else 503)
    return r.json()['id']


def create_volume_backed(token, body):
    """Create, as the user of ``token``, an image whose data is a volume
    snapshot (``body`` carries its ``block_device_mapping``): like Nova's
    snapshot of a volume-backed server, it holds no bytes and is active at
    once (an empty upload). Its id."""
    image_id = create_record(token, body)
    try:
        r = requests.put(f'{image_url()}/v2/images/{image_id}/file', data=b'', timeout=30,
                         headers={'X-Auth-Token': token or '',
                                  'Content-Type': 'application/octet-stream'})
    except requests.RequestException as exc:
        r = None
        error = ImageServiceError(f'Image service unavailable: {exc}', 503)
    if r is not None and r.status_code == 204:
        return image_id
    if r is not None:
        error = ImageServiceError(f'Image service refused the image data: {r.status_code} '
                                  f'{r.text[:300]}', 503)
    try:
        requests.delete(f'{image_url()}/v2/images/{image_id}', timeout=30,
                        headers={'X-Auth-Token': token or ''})
    except requests.RequestException:
        pass
    raise error


def uploader(image_id):
    """A callable(chunks, disk_format) that stores the data as ``image_id``."""
    def upload(chunks, disk_format):
        client = service_auth.get_client()
        base = client.endpoint('image')
        patch = [{'op': 'replace', 'path': '/disk_format', 'value': disk_format},
                 {'op': 'replace', 'path': '/container_format', 'value': 'bare'}]
        r = client.session.patch(
            f'{base}/v2/images/{image_id}', json=patch, timeout=60,
            headers=client.headers(
                {'Content-Type': 'application/openstack-images-v2.1-json-patch'}))
        if r.status_code != 200:
            raise SnapshotUploadError(f'cannot set the snapshot format: {r.status_code} '
                                      f'{r.text[:300]}')
        r = client.session.put(f'{base}/v2/images/{image_id}/file', data=chunks,
                               timeout=3600, headers=client.headers(
                                   {'Content-Type': 'application/octet-stream'}))
        if r.status_code not in (201, 204):
            raise SnapshotUploadError(f'snapshot upload refused: {r.status_code} '
                                      f'{r.text[:300]}')
    return upload


def discard(image_id):
    """Delete the queued image of a failed snapshot (best effort)."""
    try:
        client = service_auth.get_client()
        client.session.delete(f'{client.endpoint("image")}/v2/images/{image_id}',
                              headers=client.headers(), timeout=30)
    except (requests.RequestException, service_auth.ServiceAuthError):
        LOG.warning('could not delete image %s of a failed snapshot', image_id)
