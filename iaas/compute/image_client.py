"""What a compute host needs of the image service: an image's data by id,
downloaded with the service account's token, its size and hashes verified
(:mod:`iaas.image.fetch`).

The virt drivers import this module, never ``iaas.image``: the host's
image cache gets a ``fetch(image_id, dest)`` callable (this module's
:func:`fetch` by default) and catches :class:`ImageFetchError`.
"""
from iaas.image import fetch as _fetch

# The error of a download that failed or whose data did not verify.
ImageFetchError = _fetch.ImageFetchError


def fetch(image_id, dest):
    """Download image ``image_id`` to ``dest`` (verified); returns its record
    (``disk_format``, ``size``…). ImageFetchError when the image service
    cannot be reached or the data is not the image's."""
    return _fetch.fetch_as_service(image_id, dest)
