"""/v3/{project_id}/os-quota-class-sets/{quota_class_name}: Cinder's quota
classes (admin only). The limits of class ``default`` are those of every
project without its own (GET /os-quota-sets/{p}/defaults and quota
enforcement use them); they are kept in the database. Keys of a volume
type (``volumes_<type>``, ``gigabytes_<type>``, ``snapshots_<type>``) are
the defaults of that type's quotas (enforced: iaas/db/volume_type_quotas.py).
"""
from iaas import wsgi
from iaas.api.volume import schemas, views
from iaas.api.volume.misc import _quota_body
from iaas.api.volume.volumes import API
from iaas.volume import policies as P

NAME = {'type': 'string', 'minLength': 1, 'maxLength': 255}
UPDATE = {'type': 'object', 'required': ['quota_class_set'], 'properties': {
    'quota_class_set': {**schemas.QUOTA_UPDATE['properties']['quota_set'],
                        'properties': {'id': {'type': ['string', 'null'], 'maxLength': 255}}}}}


def _body(name, limits):
    return _quota_body(name, limits)


def _name(quota_class_name):
    wsgi.validate(quota_class_name, NAME)
    return quota_class_name


@wsgi.route_policy(P.QUOTA_CLASS_SHOW)
def show(req, quota_class_name, project_id=None):
    name = _name(quota_class_name)
    return views.respond(req, {'quota_class_set': _body(name, API.quota_class(name))})


@wsgi.route_policy(P.QUOTA_CLASS_UPDATE)
@wsgi.accepts(UPDATE)
def update(req, quota_class_name, project_id=None):
    name = _name(quota_class_name)
    body = req.json()
    wsgi.validate(body, UPDATE)
    known = set(API.quota_keys())
    values, bad = {}, []
    for key, value in body['quota_class_set'].items():
        if key in known:
            values[key] = int(value)
        elif key != 'id':
            bad.append(key)
    if bad:
        raise wsgi.BadRequest(f'Bad key(s) in quota class set: '
                              f'{",".join(sorted(bad))[:300]}')
    out = _body(name, API.quota_class_set(name, values))
    out.pop('id')
    return views.respond(req, {'quota_class_set': out})
