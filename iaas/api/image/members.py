"""/v2/images/{id}/members: sharing an image with other projects.

The owner adds and removes members of a ``shared`` image; each member
project accepts or rejects the share itself. A project sees a shared image
in its default list only once it has accepted it.
"""
from iaas import wsgi
from iaas.api.image import access, schemas
from iaas.api.image.views import member_view
from iaas.exception import MemberExists, MemberNotFound
from iaas.image import api as images


def _not_member(image_id, member_id):
    return wsgi.NotFound(f'{member_id[:255]} is not a member of image {image_id}')


def _shared_image(ctx, image_id, rule=None, member_id=None):
    image = access.get_visible(ctx, image_id)
    if member_id is not None and not schemas.valid_text(member_id):
        raise _not_member(image_id, member_id)
    if image['visibility'] != 'shared':
        raise wsgi.Forbidden('Only shared images have members.')
    if rule is not None:
        access.enforce(ctx, rule, image)
    return image


@wsgi.route_policy('image:get_members')
def index(req, image_id):
    ctx = req.context
    image = _shared_image(ctx, image_id)
    members = images.member_list(image_id)
    if not access.allowed(ctx, 'image:get_members', access.owner_target(image)):
        members = [m for m in members if m['member_id'] == ctx.project_id]
    return {'members': [member_view(m) for m in members], 'schema': '/v2/schemas/members'}


@wsgi.route_policy('image:add_member')
@wsgi.accepts(schemas.MEMBER_CREATE_BODY)
def create(req, image_id):
    ctx = req.context
    body = req.json()
    wsgi.validate(body, schemas.MEMBER_CREATE_BODY)
    _shared_image(ctx, image_id, 'image:add_member')
    try:
        member = images.member_create(image_id, body['member'])
    except MemberExists:
        raise wsgi.Conflict(f'Member {body["member"]} already exists for image '
                            f'{image_id}') from None
    return member_view(member)


@wsgi.route_policy('image:get_member')
def show(req, image_id, member_id):
    ctx = req.context
    image = _shared_image(ctx, image_id, member_id=member_id)
    if member_id != ctx.project_id and \
            not access.allowed(ctx, 'image:get_member', access.owner_target(image)):
        raise _not_member(image_id, member_id)
    try:
        return member_view(images.member_get(image_id, member_id))
    except MemberNotFound as exc:
        raise wsgi.NotFound(str(exc)) from None


@wsgi.route_policy('image:modify_member')
@wsgi.accepts(schemas.MEMBER_UPDATE_BODY)
def update(req, image_id, member_id):
    ctx = req.context
    body = req.json()
    wsgi.validate(body, schemas.MEMBER_UPDATE_BODY)
    image = _shared_image(ctx, image_id, member_id=member_id)
    # the member project decides (target: the member, not the owner)
    if not access.allowed(ctx, 'image:modify_member', {'project_id': member_id}):
        if member_id != ctx.project_id and \
                access.allowed(ctx, 'image:get_members', access.owner_target(image)):
            raise wsgi.Forbidden('Only the member project may accept or reject a share.')
        if member_id == ctx.project_id:
            raise wsgi.Forbidden('You are not authorized to complete modify_member action.')
        raise _not_member(image_id, member_id)
    try:
        return member_view(images.member_update(image_id, member_id, body['status']))
    except MemberNotFound as exc:
        raise wsgi.NotFound(str(exc)) from None


@wsgi.route_policy('image:delete_member')
def delete(req, image_id, member_id):
    ctx = req.context
    _shared_image(ctx, image_id, 'image:delete_member', member_id)
    try:
        images.member_delete(image_id, member_id)
    except MemberNotFound as exc:
        raise wsgi.NotFound(str(exc)) from None
    return 204, None
