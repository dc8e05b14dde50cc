"""Who may see and change an image.

* Visible: admins; the owner; anyone for public and community images; a
  project the image is shared with (any member status) for shared images.
  A private image is invisible (404) to other projects.
* Changed (update, upload, delete, tags, members): the owner or an admin;
  a reader-only context changes nothing.
* Publicising (visibility "public") needs admin.
"""
from iaas import wsgi
from iaas.db import images as db


def is_admin(ctx):
    return bool(ctx and (ctx.is_admin or 'admin' in (ctx.roles or [])))


def can_see(ctx, image):
    if is_admin(ctx) or image['owner'] == ctx.project_id:
        return True
    vis = image['visibility']
    if vis in ('public', 'community'):
        return True
    if vis == 'shared' and ctx.project_id:
        return db.member_get_status(image['id'], ctx.project_id) is not None
    return False


def get_visible(ctx, image_id):
    """The image, or 404 when it does not exist or is hidden from ``ctx``."""
    try:
        image = db.image_get(image_id)
    except db.ImageNotFound:
        raise wsgi.NotFound(f'No image found with ID {image_id}') from None
    if not can_see(ctx, image):
        raise wsgi.NotFound(f'No image found with ID {image_id}')
    return image


def check_modify(ctx, image):
    if ctx.is_reader_only and not is_admin(ctx):
        raise wsgi.Forbidden('A reader may not modify images.')
    if not (is_admin(ctx) or image['owner'] == ctx.project_id):
        raise wsgi.Forbidden(f'You are not permitted to modify image {image["id"]}.')


def get_modifiable(ctx, image_id):
    image = get_visible(ctx, image_id)
    check_modify(ctx, image)
    return image


def check_visibility(ctx, visibility):
    if visibility == 'public' and not is_admin(ctx):
        raise wsgi.Forbidden('You are not authorized to complete publicize_image action.')
