"""/v3/{project_id}/qos-specs (Cinder's QoS specs, admin only) and
/v3/{project_id}/os-hosts (Cinder's view of the volume hosts, admin only).

QoS specs are kept and associated with volume types (shown as the type's
``qos_specs_id``); the file backend does not throttle by them.
"""
from iaas import wsgi
from iaas.api.volume import views
from iaas.api.volume.misc import _host_matches
from iaas.api.volume.volumes import API
from iaas.exception import QosSpecsNotFound
from iaas.volume import policies as P
from iaas.volume import qos

_KEY = {'type': 'string', 'minLength': 1, 'maxLength': 255}
_VALUE = {'type': ['string', 'number', 'boolean'], 'maxLength': 255}
_SPECS = {'type': 'object', 'maxProperties': 128, 'propertyNames': _KEY,
          'additionalProperties': _VALUE}
CREATE = {'type': 'object', 'required': ['qos_specs'], 'properties': {'qos_specs': {
    **_SPECS, 'required': ['name'], 'properties': {
        'name': {'type': 'string', 'minLength': 1, 'maxLength': 255},
        'consumer': {'type': 'string', 'enum': list(qos.CONSUMERS)}}}}}
UPDATE = {'type': 'object', 'required': ['qos_specs'], 'properties': {'qos_specs': {
    **_SPECS, 'minProperties': 1,
    'properties': {'consumer': {'type': 'string', 'enum': list(qos.CONSUMERS)}}}}}
DELETE_KEYS = {'type': 'object', 'required': ['keys'], 'properties': {
    'keys': {'type': 'array', 'minItems': 1, 'maxItems': 128, 'items': _KEY}}}


def _str(value):
    return str(value).lower() if isinstance(value, bool) else str(value)


def _view(q):
    return {'id': q['uuid'], 'name': q['name'], 'consumer': q['consumer'],
            'specs': q['specs'] or {}}


def _links(req, q, project_id):
    path = f'/{project_id}/qos-specs/{q["uuid"]}' if project_id else f'/qos-specs/{q["uuid"]}'
    base = views.base_url(req)
    return [{'rel': 'self', 'href': f'{base}/v3{path}'}, {'rel': 'bookmark', 'href': base + path}]


def _type_id(req):
    type_id = req.GET.get('vol_type_id')
    if not type_id or len(type_id) > 255:
        raise wsgi.BadRequest('Invalid input received: vol_type_id is required.')
    return type_id


@wsgi.route_policy(P.QOS_GET_ALL)
def index(req, project_id=None):
    return views.respond(req, {'qos_specs': [_view(q) for q in qos.list_()]})


@wsgi.route_policy(P.QOS_CREATE)
@wsgi.accepts(CREATE)
def create(req, project_id=None):
    body = req.json()
    wsgi.validate(body, CREATE)
    spec = dict(body['qos_specs'])
    name = spec.pop('name').strip()
    if not name:
        raise wsgi.BadRequest('Invalid input received: the name may not be blank.')
    consumer = spec.pop('consumer', 'back-end')
    q = qos.create(name, consumer, {k: _str(v) for k, v in spec.items()})
    return views.respond(req, {'qos_specs': _view(q), 'links': _links(req, q, project_id)})


@wsgi.route_policy(P.QOS_GET)
def show(req, qos_id, project_id=None):
    q = qos.get(qos_id)
    return views.respond(req, {'qos_specs': _view(q), 'links': _links(req, q, project_id)})


@wsgi.route_policy(P.QOS_UPDATE)
@wsgi.accepts(UPDATE)
def update(req, qos_id, project_id=None):
    body = req.json()
    wsgi.validate(body, UPDATE)
    specs = {k: _str(v) for k, v in body['qos_specs'].items()}
    consumer = specs.pop('consumer', None)
    qos.update(qos_id, specs, consumer)
    return views.respond(req, {'qos_specs': body['qos_specs']})


@wsgi.route_policy(P.QOS_DELETE)
@wsgi.accepts(DELETE_KEYS)
def delete_keys(req, qos_id, project_id=None):
    body = req.json()
    wsgi.validate(body, DELETE_KEYS)
    try:
        qos.delete_keys(qos_id, body['keys'])
    except QosSpecsNotFound as e:
        raise wsgi.NotFound(str(e)) from None
    return views.respond(req, None, 202)


@wsgi.route_policy(P.QOS_DELETE)
def delete(req, qos_id, project_id=None):
    force = req.GET.get('force', 'false')
    if force.lower() not in ('true', 'false', '1', '0', 'yes', 'no', 't', 'f', 'y', 'n',
                             'on', 'off'):
        raise wsgi.BadRequest(f'Invalid value for force: {force[:64]!r}')
    qos.delete(qos_id, force.lower() in ('true', '1', 'yes', 't', 'y', 'on'))
    return views.respond(req, None, 202)


@wsgi.route_policy(P.QOS_GET)
def associations(req, qos_id, project_id=None):
    return views.respond(req, {'qos_associations': qos.associations(qos_id)})


@wsgi.route_policy(P.QOS_UPDATE)
def associate(req, qos_id, project_id=None):
    qos.associate(qos_id, _type_id(req))
    return views.respond(req, None, 202)


@wsgi.route_policy(P.QOS_UPDATE)
def disassociate(req, qos_id, project_id=None):
    qos.disassociate(qos_id, _type_id(req))
    return views.respond(req, None, 202)


@wsgi.route_policy(P.QOS_UPDATE)
def disassociate_all(req, qos_id, project_id=None):
    qos.disassociate_all(qos_id)
    return views.respond(req, None, 202)


# -- os-hosts ---------------------------------------------------------------------------
def _hosts():
    """One row per volume backend (host@backend) and per scheduler, as
    Cinder lists its services' hosts."""
    out = []
    backends = API.backends()
    for svc in API.services():
        volume = svc['binary'] == 'iaas-volume'
        names = [b['name'] for b in backends if b['host'] == svc['host']] if volume else []
        for name in names or [svc['host']]:
            out.append({'host_name': name,
                        'service': 'cinder-volume' if volume else 'cinder-scheduler',
                        'zone': svc['availability_zone'] or 'nova',
                        'service-status': 'available' if svc['up'] else 'unavailable',
                        'service-state': 'disabled' if svc['disabled'] else 'enabled',
                        'last-update': wsgi.isotime(svc['last_seen_up'], False)})
    return out


@wsgi.route_policy(P.HOSTS)
def hosts_index(req, project_id=None):
    zone = req.GET.get('zone')
    return views.respond(req, {'hosts': [h for h in _hosts()
                                         if not zone or h['zone'] == zone]})


@wsgi.route_policy(P.HOSTS)
def host_show(req, host_name, project_id=None):
    if not any(h['service'] == 'cinder-volume' and _host_matches(h['host_name'], host_name)
               for h in _hosts()):
        raise wsgi.NotFound('Host not found')
    usage = qos.host_usage(host_name)
    total = [sum(u[i] for u in usage.values()) for i in range(4)]

    def row(project, u):
        return {'resource': {'host': host_name, 'project': project,
                             'volume_count': str(u[0]), 'total_volume_gb': str(u[1]),
                             'snapshot_count': str(u[2]), 'total_snapshot_gb': str(u[3])}}
    return views.respond(req, {'host': [row('(total)', total)] +
                                       [row(p, u) for p, u in usage.items()]})
