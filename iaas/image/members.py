"""/v2/images/{id}/members: sharing an image with other projects.

The owner adds and removes members of a ``shared`` image; each member
project accepts or rejects the share itself. A project sees a shared image
in its default list only once it has accepted it.
"""
from iaas import wsgi
from iaas.db import images as db
from iaas.image import policy
from iaas.image.views import member_view

MEMBER_STATUSES = ('pending', 'accepted', 'rejected')


def _shared_image(ctx, image_id):
    image = policy.get_visible(ctx, image_id)
    if image['visibility'] != 'shared':
        raise wsgi.Forbidden('Only shared images have members.')
    return image


def _is_owner(ctx, image):
    return policy.is_admin(ctx) or image['owner'] == ctx.project_id


def index(req, image_id):
    ctx = req.context
    image = _shared_image(ctx, image_id)
    members = db.member_list(image_id)
    if not _is_owner(ctx, image):
        members = [m for m in members if m['member_id'] == ctx.project_id]
    return {'members': [member_view(m) for m in members], 'schema': '/v2/schemas/members'}


def create(req, image_id):
    ctx = req.context
    body = req.json()
    wsgi.validate(body, {'type': 'object', 'required': ['member'],
                         'properties': {'member': {'type': 'string', 'minLength': 1,
                                                   'maxLength': 255}},
                         'additionalProperties': False})
    image = _shared_image(ctx, image_id)
    policy.check_modify(ctx, image)
    try:
        member = db.member_create(image_id, body['member'])
    except db.MemberExists:
        raise wsgi.Conflict(f'Member {body["member"]} already exists for image '
                            f'{image_id}') from None
    return member_view(member)


def show(req, image_id, member_id):
    ctx = req.context
    image = _shared_image(ctx, image_id)
    if not _is_owner(ctx, image) and member_id != ctx.project_id:
        raise wsgi.NotFound(f'{member_id} is not a member of image {image_id}')
    try:
        return member_view(db.member_get(image_id, member_id))
    except db.MemberNotFound as exc:
        raise wsgi.NotFound(str(exc)) from None


def update(req, image_id, member_id):
    ctx = req.context
    body = req.json()
    wsgi.validate(body, {'type': 'object', 'required': ['status'],
                         'properties': {'status': {'type': 'string',
                                                   'enum': list(MEMBER_STATUSES)}}})
    image = _shared_image(ctx, image_id)
    if member_id != ctx.project_id:
        if _is_owner(ctx, image):
            raise wsgi.Forbidden('Only the member project may accept or reject a share.')
        raise wsgi.NotFound(f'{member_id} is not a member of image {image_id}')
    try:
        return member_view(db.member_update(image_id, member_id, body['status']))
    except db.MemberNotFound as exc:
        raise wsgi.NotFound(str(exc)) from None


def delete(req, image_id, member_id):
    ctx = req.context
    image = _shared_image(ctx, image_id)
    policy.check_modify(ctx, image)
    try:
        db.member_delete(image_id, member_id)
    except db.MemberNotFound as exc:
        raise wsgi.NotFound(str(exc)) from None
    return 204, None
