"""/v3/{project_id}/types/{type_id}/encryption: Cinder's volume type
encryption specs (admin only).

A spec (provider, cipher, key size, control location) is stored and shown
as Cinder does, but nothing here encrypts a volume: this cloud has no key
manager, so creating a volume of a type that has a spec is refused (400,
``iaas.volume.types.refuse_encrypted``) and every volume shows
``encrypted: false``. As in Cinder, a spec cannot be created, changed or
deleted while volumes of the type exist (400), ``PUT``/``DELETE`` act on
the type's one spec whatever ``{encryption_id}`` says (python-cinderclient
sends the type's id, or ``provider``, there), and ``GET …/encryption/{key}``
(``{encryption_id}`` in the route) answers one field of the spec.
"""
from iaas import wsgi
from iaas.api.volume import views
from iaas.volume import policies as P
from iaas.volume import types

# A provider is one of os-brick's short names or the name of an encryptor
# class (dotted Python name), as Cinder documents; anything else is refused.
PROVIDER = {'type': 'string', 'maxLength': 255,
            'pattern': r'^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$'}
SPEC = {
    'key_size': {'type': ['integer', 'string', 'null'], 'minimum': 0,
                 'maximum': 2 ** 31 - 1, 'pattern': '^[0-9]{1,10}$'},
    'provider': PROVIDER,
    'control_location': {'enum': ['front-end', 'back-end']},
    'cipher': {'type': ['string', 'null'], 'maxLength': 255,
               'pattern': r'^[A-Za-z0-9_.:-]*$'},
}
CREATE = {'type': 'object', 'required': ['encryption'], 'additionalProperties': False,
          'properties': {'encryption': {
              'type': 'object', 'properties': SPEC, 'additionalProperties': False,
              'required': ['provider', 'control_location']}}}
UPDATE = {'type': 'object', 'required': ['encryption'], 'additionalProperties': False,
          'properties': {'encryption': {
              'type': 'object', 'properties': SPEC, 'additionalProperties': False}}}


def _values(spec):
    values = dict(spec)
    if values.get('key_size') is not None:
        values['key_size'] = int(values['key_size'])
        if values['key_size'] > 2 ** 31 - 1:
            raise wsgi.BadRequest('Invalid input received: key_size is too large.')
    return values


def _time(value):
    return wsgi.isotime(value, False) + '.000000' if value else None


def _view(row):
    """Cinder's answer to GET …/encryption: the row, or {} without one."""
    if row is None:
        return {}
    return {'volume_type_id': row['volume_type_id'], 'encryption_id': row['encryption_id'],
            'provider': row['provider'], 'cipher': row['cipher'],
            'key_size': row['key_size'], 'control_location': row['control_location'],
            'deleted': False, 'created_at': _time(row['created_at']),
            'updated_at': _time(row['updated_at']), 'deleted_at': None}


@wsgi.route_policy(P.TYPE_ENCRYPTION_GET)
def index(req, type_id, project_id=None):
    return views.respond(req, _view(types.get_encryption(type_id)))


@wsgi.route_policy(P.TYPE_ENCRYPTION_GET)
def show(req, type_id, encryption_id, project_id=None):
    """Cinder's GET …/encryption/{key}: one field of the spec (the path has
    one name for that segment, as OpenAPI wants, whatever the method)."""
    key = encryption_id
    spec = _view(types.get_encryption(type_id))
    if key not in spec:
        raise wsgi.NotFound(f'Volume type encryption for type {type_id} does not exist.')
    return views.respond(req, {key: spec[key]})


@wsgi.route_policy(P.TYPE_ENCRYPTION_CREATE)
@wsgi.accepts(CREATE)
def create(req, type_id, project_id=None):
    body = req.json()
    wsgi.validate(body, CREATE)
    values = _values(body['encryption'])
    row = types.create_encryption(type_id, values)
    return views.respond(req, {'encryption': dict(
        values, volume_type_id=row['volume_type_id'], encryption_id=row['encryption_id'])})


@wsgi.route_policy(P.TYPE_ENCRYPTION_UPDATE)
@wsgi.accepts(UPDATE)
def update(req, type_id, encryption_id, project_id=None):
    body = req.json()
    wsgi.validate(body, UPDATE)
    values = _values(body['encryption'])
    types.update_encryption(type_id, values)
    return views.respond(req, {'encryption': values})


@wsgi.route_policy(P.TYPE_ENCRYPTION_DELETE)
def delete(req, type_id, encryption_id, project_id=None):
    types.delete_encryption(type_id)
    return views.respond(req, None, 202)
