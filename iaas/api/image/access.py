"""The Glance REST layer's lookups of one image: 404 for a missing or hidden
image, 403 for a rule the caller fails on a visible one. Who may see an
image is the image service's rule (:func:`iaas.image.access.can_see`)."""
from iaas import wsgi
from iaas.api import auth
from iaas.api.image import schemas
from iaas.exception import ImageNotFound
from iaas.image import api as images
from iaas.image.access import allowed, can_see, owner_target

__all__ = ['allowed', 'can_see', 'check_visibility', 'enforce', 'get_for', 'get_visible',
           'owner_target']


def enforce(ctx, rule, image):
    """403 unless ``ctx`` passes ``rule`` on ``image`` (owner as project)."""
    auth.enforce(ctx, rule, owner_target(image))


def get_visible(ctx, image_id, rule='image:get_image'):
    """The image, or 404 when it does not exist or is hidden from ``ctx``."""
    if not schemas.is_image_id(image_id):       # no id of ours looks otherwise
        raise wsgi.NotFound(f'No image found with ID {image_id[:64]}')
    try:
        image = images.image_get(image_id)
    except ImageNotFound:
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
