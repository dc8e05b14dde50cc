"""What a compute host needs of the image service: an image's data by id,
downloaded with the service account's token, its size and hashes verified
(:mod:`iaas.image.fetch`).

The virt drivers import this module, never ``iaas.image``: the host's
image cache gets a ``fetch(image_id, dest)`` callable (this module's
:func:`fetch` by default) and catches :class:`ImageFetchError`.
"""
from iaas.common import service_auth
from iaas.image import fetch as _fetch

# The error of a download that failed or whose data did not verify.
ImageFetchError = _fetch.ImageFetchError


def fetch(image_id, dest):
    """Download image ``image_id`` to ``dest`` (verified); returns its record
    (``disk_format``, ``size``…). ImageFetchError when the image service
    cannot be reached or the data is not the image's."""
    client = service_auth.get_client()
    try:
        return _fetch.fetch_image(client.endpoint('image'), image_id, dest,
                                  token=client.token(), session=client.session)
    except service_auth.ServiceAuthError as exc:
        raise ImageFetchError(f'cannot reach the image service: {exc}') from exc
