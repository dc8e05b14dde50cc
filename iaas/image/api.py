"""The image service's internal API: what the REST layer (``iaas/api/image/``)
and the janitor call instead of the queries.

Status changes go through :mod:`iaas.image.states`; who may see an image
is :mod:`iaas.image.access`. Errors: :mod:`iaas.exception` ``ImageNotFound``,
``ImageExists``, ``MarkerNotFound``, ``MemberNotFound``, ``MemberExists``.
"""
import logging

from iaas import notifications
from iaas.billing import enforcement as budget
from iaas.db import images as db
from iaas.exception import ImageExists, ImageNotFound
from iaas.image import states, stores

LOG = logging.getLogger(__name__)

SORT_KEYS = db.SORT_KEYS
MAX_TAGS = 128

# -- reads ---------------------------------------------------------------------------
image_get = db.image_get
image_list = db.image_list
project_usage = db.project_usage


def image_create(values, properties=None, tags=None):
    """A new ``queued`` image; ``ImageExists`` when an id given is taken."""
    budget.check(values.get('owner'), 'images')
    if values.get('id'):
        try:
            db.image_get(values['id'])
        except ImageNotFound:
            pass
        else:
            raise ImageExists(values['id'])
    return db.image_create(dict(values, status=states.INITIAL), properties, tags)


# columns, properties and tags; never the status (see iaas.image.states)
image_update = db.image_update


def tag_add(image_id, tag):
    """Add a tag; False when the image already has :data:`MAX_TAGS` others."""
    image = db.image_get(image_id)
    if tag not in image['tags'] and len(image['tags']) >= MAX_TAGS:
        return False
    db.tag_add(image_id, tag)
    return True


tag_delete = db.tag_delete


def delete_data(image_id, locations):
    """Remove the stored data of a deleted image. A location whose store
    refuses stays 'pending_delete' for :func:`retry_pending_deletes`."""
    for loc in locations or ():
        try:
            stores.get_store(loc['store']).delete(loc['url'], loc['meta'])
            db.location_forget(image_id, loc['url'])
        except Exception as exc:
            LOG.warning('data of deleted image %s at %s not removed yet: %s',
                        image_id, loc['url'], exc)


def image_delete(image_id):
    """Delete the image (any status but protected: the caller checks) and
    then its stored data; ``ImageNotFound`` when it is gone already."""
    image = db.image_get(image_id)
    locations = states.delete(image_id)
    notifications.image_deleted(None, image)
    delete_data(image_id, locations)


def retry_pending_deletes():
    for loc in db.pending_deletes():
        delete_data(loc['image_id'], [loc])


# -- members -------------------------------------------------------------------------
member_list = db.member_list
member_get = db.member_get
member_create = db.member_create
member_update = db.member_update
member_delete = db.member_delete
