"""Which images a caller sees: the image service's one rule, asked by the
Glance REST layer (:mod:`iaas.api.image.access`) and the compute API.

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
  project (:func:`allowed` with :func:`owner_target`): a visible image of
  another project is a 403, a reader's change is a 403.
"""
from iaas.db import images as db
from iaas.identity import policy


def owner_target(image):
    return {'project_id': image['owner'], 'user_id': None}


def allowed(ctx, rule, target):
    """Whether ``ctx`` passes ``rule`` on ``target``."""
    return ctx is not None and policy.check(ctx, rule, target)


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
