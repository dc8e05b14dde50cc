"""The iaas-image WSGI application: Glance v2 routes on a Router.

Production authorizes each route by its handler's declared policy
(``iaas.api.auth.authorize``); tests may pass any ``mw(req) -> None |
Response`` that sets ``req.environ['iaas.context']`` instead.
"""
from iaas import wsgi
from iaas.api import openapi
from iaas.api.auth import authorize
from iaas.api.image import data, images, members, metadef_schemas, schemas

VERSIONS = [('v2.17', 'CURRENT')] + [(f'v2.{n}', 'SUPPORTED') for n in range(16, -1, -1)]
HTTP_STATUS = {300: 'Multiple Choices'}


# Error body {"error": {"code", "message", "title"}} (the same as identity's).
# Real Glance answers errors with webob's HTML page; a JSON object whose
# every top-level value is an object carrying "message" is what both
# glanceclient (it calls .get('message') on each value) and openstacksdk
# take the message from, so errors read the same in `glance` and
# `openstack` as with Glance, and stay machine-readable.
glance_fault = wsgi.keystone_fault


@wsgi.public
def versions(req):
    href = req.application_url.rstrip('/') + '/v2/'
    body = {'versions': [{'id': vid, 'status': status,
                          'links': [{'rel': 'self', 'href': href}]}
                         for vid, status in VERSIONS]}
    return 300, body


def _json(fn):
    """A handler answering ``fn()``: the JSON schemas any project user may read."""
    @wsgi.route_policy('image:get_schemas')
    def handler(req):
        return fn()
    return handler


def build_app(auth_middleware=None):
    """The Glance v2 app; every route authorized by its declared policy
    (``iaas.api.auth.authorize``), or — in tests — by ``auth_middleware``."""
    if auth_middleware is None:
        router = wsgi.Router(fault_formatter=glance_fault, authorizer=authorize)
    else:
        router = wsgi.Router(fault_formatter=glance_fault)
        router.middleware.append(auth_middleware)
    add = router.add
    add('GET', '/', versions)
    add('GET', '/versions', versions)
    add('GET', '/v2/schemas/image', _json(schemas.image_schema))
    add('GET', '/v2/schemas/images', _json(schemas.images_schema))
    add('GET', '/v2/schemas/member', _json(schemas.member_schema))
    add('GET', '/v2/schemas/members', _json(schemas.members_schema))
    add('GET', '/v2/schemas/metadefs/{name}', metadef_schemas.show)
    add('GET', '/v2/images', images.index)
    add('POST', '/v2/images', images.create)
    add(['DELETE', 'PUT', 'PATCH'], '/v2/images', images.collection_other)
    add('GET', '/v2/images/{image_id}', images.show)
    add('PATCH', '/v2/images/{image_id}', images.update)
    add('DELETE', '/v2/images/{image_id}', images.delete)
    add('PUT', '/v2/images/{image_id}/file', data.upload)
    add('GET', '/v2/images/{image_id}/file', data.download)
    add('GET', '/v2/images/{image_id}/tasks', images.tasks)
    add('POST', '/v2/images/{image_id}/actions/deactivate', images.deactivate)
    add('POST', '/v2/images/{image_id}/actions/reactivate', images.reactivate)
    add('PUT', '/v2/images/{image_id}/tags/{tag}', images.add_tag)
    add('DELETE', '/v2/images/{image_id}/tags/{tag}', images.delete_tag)
    add('GET', '/v2/images/{image_id}/members', members.index)
    add('POST', '/v2/images/{image_id}/members', members.create)
    add('GET', '/v2/images/{image_id}/members/{member_id}', members.show)
    add('PUT', '/v2/images/{image_id}/members/{member_id}', members.update)
    add('DELETE', '/v2/images/{image_id}/members/{member_id}', members.delete)
    openapi.install(router, 'iaas Image API (Glance v2)', '2.17')
    return router
