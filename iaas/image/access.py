"""Which images a caller sees, and the image rules checked on one image.

The rules are oslo.policy's (:mod:`iaas.image.policies`), checked with the
image's owner as the target ``project_id``; visibility stays code:

* :func:`can_see` is the one rule of who may show an image, or boot it
  (the compute API asks it too): a caller whose ``image:get_image``
  passes on it (its owner's project; admins), everyone when it is public
  or community, and a project it is shared with, whatever its member
  status (pending, accepted or rejected), as Glance: the member status
  only decides what the *list* shows (``member_status``, accepted by
  default: :func:`iaas.db.images.image_list`). Anything else is a 404,
  as a missing image;
* a change needs its rule (``image:modify_image``, …) on the owner's
  project: a visible image of another project is a 403, a reader's
  change is a 403.
"""
from iaas import wsgi
from iaas.api import auth
from iaas.api.image import schemas
from iaas.db import images as db


def owner_target(image):
    return {'project_id': image['owner'], 'user_id': None}


def allowed(ctx, rule, target):
    """Whether ``ctx`` passes ``rule`` on ``target`` (no exception)."""
    try:
        return auth.enforce(ctx, rule, target)
    except wsgi.Forbidden:
        return False


def enforce(ctx, rule, image):
    """403 unless ``ctx`` passes ``rule`` on ``image`` (owner as project)."""
    auth.enforce(ctx, rule, owner_target(image))


def can_see(ctx, image, rule='image:get_image'):
    """Whether ``ctx`` may show (or boot) ``image``; see the module's rules."""
    if allowed(ctx, rule, owner_target(image)):
        return True
    vis = image['visibility']
    if vis in ('public', 'community'):
        return True
    if vis == 'shared' and ctx.project_id:
        return db.member_get_status(image['id'], ctx.project_id) is not None
    return False


def get_visible(ctx, image_id, rule='image:get_image'):
    """The image, or 404 when it does not exist or is hidden from ``ctx``."""
    if not schemas.is_image_id(image_id):       # no id of ours looks otherwise
        raise wsgi.NotFound(f'No image found with ID {image_id[:64]}')
    try:
        image = db.image_get(image_id)
    except db.ImageNotFound:
        raise wsgi.NotFound(f'No image found with ID {image_id}') from None
    if not can_see(ctx, image, rule):
        raise wsgi.NotFound(f'No image found with ID {image_id}')
    return image


def get_for(ctx, image_id, rule):
    """A visible image on which ``ctx`` passes ``rule`` (404, then 403)."""
    image = get_visible(ctx, image_id)
    if not allowed(ctx, rule, owner_target(image)):
        raise wsgi.Forbidden(f'You are not authorized to complete {rule[6:]} action '
                             f'on image {image_id}.')
    return image


def check_visibility(ctx, visibility, image=None, owner=None):
    """Giving an image ``visibility`` may need its own rule (Glance's
    publicize_image / communitize_image)."""
    rule = {'public': 'image:publicize_image',
            'community': 'image:communitize_image'}.get(visibility)
    if rule is None:
        return
    target = owner_target(image) if image is not None else {'project_id': owner}
    if not allowed(ctx, rule, target):
        raise wsgi.Forbidden(f'You are not authorized to complete {rule[6:]} action.')
