"""Version discovery: GET / and GET /v2.1."""
from iaas import wsgi
from iaas.api.compute import microversion as mv

UPDATED = '2013-07-23T11:33:21Z'


def _base(req):
    return req.host_url.rstrip('/') + req.script_name


def _v21(req):
    return {'id': 'v2.1', 'status': 'CURRENT', 'version': mv.fmt(mv.MAX_VERSION),
            'min_version': mv.fmt(mv.MIN_VERSION), 'updated': UPDATED,
            'links': [{'rel': 'self', 'href': _base(req) + '/v2.1/'},
                      {'rel': 'describedby', 'type': 'text/html',
                       'href': 'https://docs.openstack.org/'}],
            'media-types': [{'base': 'application/json',
                             'type': 'application/vnd.openstack.compute+json;version=2.1'}]}


@wsgi.public
def root(req):
    return {'versions': [_v21(req)]}


@wsgi.public
def v21(req):
    return {'version': _v21(req)}
