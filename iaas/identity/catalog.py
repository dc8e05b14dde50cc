"""The service catalog: what bootstrap writes from config, and the cached
copy that goes into every token.

Endpoint URLs may hold ``$(project_id)s`` / ``$(tenant_id)s``; they are
filled in per token (object-store ``…/v1/AUTH_$(project_id)s``). Endpoints
that still need a project id are left out of unscoped tokens.
"""
from iaas.conf import CONF
from iaas.db import identity as db
from iaas.identity import cache

INTERFACES = ('public', 'internal', 'admin')


def known_services(conf=CONF):
    """[(type, name, description, url)] of every service iaas may run."""
    host = conf.api.public_host
    api = conf.api

    image_port = conf.image.port
    object_port = conf.objectstore.port
    return [
        ('identity', 'keystone', 'Identity', f'http://{host}:{api.identity_port}/v3'),
        ('compute', 'nova', 'Compute', f'http://{host}:{api.compute_port}/v2.1'),
        ('image', 'glance', 'Image', f'http://{host}:{image_port}'),
        ('object-store', 'swift', 'Object storage',
         f'http://{host}:{object_port}/v1/AUTH_$(project_id)s'),
        ('network', 'neutron', 'Networking', f'http://{host}:{api.network_port}'),
        ('ec2', 'ec2', 'EC2 Query API', f'http://{host}:{api.ec2_port}'),
        ('rating', 'cloudkitty', 'Rating: usage, prices, invoices, budgets',
         f'http://{host}:{api.rating_port}'),
        ('volumev3', 'cinderv3', 'Block storage v3',
         f'http://{host}:{api.volume_port}/v3/$(project_id)s'),
        ('block-storage', 'cinder', 'Block storage',
         f'http://{host}:{api.volume_port}/v3/$(project_id)s'),
    ]


def configured_services(conf=CONF):
    """The services this deployment serves (``[identity] catalog_services``):
    only these go into the catalog, so clients are never sent to an
    endpoint nothing answers."""
    served = set(conf.identity.catalog_services)
    return [s for s in known_services(conf) if s[0] in served]


def sync_from_config(conf=CONF):
    """Create or update the configured services and their endpoints, and
    remove those of iaas's own services no longer served (idempotent;
    services an operator added stay)."""
    region = conf.identity.region
    wanted = configured_services(conf)
    keep = {(t, n) for t, n, _d, _u in wanted}
    for stype, name, _desc, _url in known_services(conf):
        if (stype, name) not in keep:
            for svc in db.service_list(type=stype, name=name):
                db.service_delete(svc['id'])
    for stype, name, desc, url in wanted:
        existing = db.service_list(type=stype, name=name)
        svc = existing[0] if existing else db.service_create(stype, name, desc)
        eps = db.endpoint_list(service_id=svc['id'], region_id=region)
        for iface in INTERFACES:
            mine = [e for e in eps if e['interface'] == iface]
            if not mine:
                db.endpoint_create(svc['id'], iface, url, region_id=region)
            elif mine[0]['url'] != url:
                db.endpoint_update(mine[0]['id'], url=url)
    invalidate()


def invalidate():
    cache.catalog.clear()


# -- services and endpoints (the /v3/services and /v3/endpoints records); a
# -- change empties the cached catalog that tokens carry
service_list = db.service_list
service_get = db.service_get
endpoint_list = db.endpoint_list
endpoint_get = db.endpoint_get


def service_create(type, name, description=None, enabled=True):
    row = db.service_create(type, name, description=description, enabled=enabled)
    invalidate()
    return row


def service_update(service_id, **values):
    row = db.service_update(service_id, **values)
    invalidate()
    return row


def service_delete(service_id):
    db.service_delete(service_id)
    invalidate()


def endpoint_create(service_id, interface, url, region_id=None, enabled=True):
    row = db.endpoint_create(service_id, interface, url, region_id=region_id,
                             enabled=enabled)
    invalidate()
    return row


def endpoint_update(endpoint_id, **values):
    row = db.endpoint_update(endpoint_id, **values)
    invalidate()
    return row


def endpoint_delete(endpoint_id):
    db.endpoint_delete(endpoint_id)
    invalidate()


def regions(conf=CONF):
    """The configured region and every region an endpoint names, sorted."""
    names = {conf.identity.region}
    names |= {e['region_id'] for e in db.endpoint_list() if e['region_id']}
    return sorted(names)


def _raw():
    return cache.catalog.get_or_load('catalog', db.catalog)


def for_token(project_id=None):
    """The catalog in token form, substituted for ``project_id``."""
    out = []
    for svc in _raw():
        eps = []
        for e in svc['endpoints']:
            url = e['url']
            if '$(' in url:
                if project_id is None:
                    continue
                url = url.replace('$(project_id)s', project_id).replace(
                    '$(tenant_id)s', project_id)
            eps.append({'id': e['id'], 'interface': e['interface'],
                        'region': e['region_id'], 'region_id': e['region_id'],
                        'url': url})
        if eps or project_id is not None:
            out.append({'type': svc['type'], 'name': svc['name'], 'id': svc['id'],
                        'endpoints': eps})
    return out
