"""Uploading a snapshot to the image service from a compute host.

The API process creates the image record (queued) with the user's token;
the compute host streams the data with the service account's token
(``[service_user]``), over HTTP only.
"""
import logging

import requests

from iaas.common import service_auth

LOG = logging.getLogger(__name__)


class SnapshotUploadError(Exception):
    pass


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
