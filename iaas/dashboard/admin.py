"""Admin pages: hypervisors with use bars, compute services (enable/disable
with a reason), every project's instances with their host, flavors, projects
and users, quotas, the price sheet.

Nothing here is more than a view: each page calls the public APIs with the
logged-in user's own token, so the APIs' admin policies decide (a member
who types an /admin address gets the API's refusal, 403). The links show
only for a session whose project token carries the admin role.
"""
import functools
import logging
from decimal import Decimal, InvalidOperation
from urllib.parse import quote

from iaas import wsgi
from iaas.cli.errors import APIError, CLIError
from iaas.dashboard import apis, render

LOG = logging.getLogger(__name__)

NAV = [('/admin/hypervisors', 'Hypervisors'), ('/admin/services', 'Services'),
       ('/admin/instances', 'All instances'), ('/admin/flavors', 'Flavors'),
       ('/admin/projects', 'Projects'), ('/admin/prices', 'Prices')]
QUOTA_KEYS = [('instances', 'Instances'), ('cores', 'vCPUs'), ('ram', 'RAM (MiB)'),
              ('key_pairs', 'Key pairs'), ('server_groups', 'Server groups')]


def admin_only(handler):
    """A 404 for a session without the admin role (the pages' existence is
    not advertised; the APIs refuse the calls anyway)."""
    @functools.wraps(handler)
    def wrapper(req, *args, **kw):
        if not render.sess(req).get('admin'):
            raise wsgi.NotFound('Not found: it does not exist, or it is not yours.')
        return handler(req, *args, **kw)
    return wrapper


def _page(req, template, **ctx):
    return render.page(req, template, admin_nav=NAV, **ctx)


def _identity(req, method, path, **kw):
    """An identity API call with the user's token."""
    return apis.transport().request(method, apis.identity_url() + path, headers={
        'X-Auth-Token': render.sess(req).get('token')}, **kw)


def _number(req, name, minimum=0, maximum=2 ** 31):
    raw = render.form(req, name, maximum=20).strip()
    try:
        value = int(raw)
    except ValueError:
        raise wsgi.BadRequest(f'{name} must be a whole number.') from None
    if not minimum <= value <= maximum:
        raise wsgi.BadRequest(f'{name} must be between {minimum} and {maximum}.')
    return value


# --- hypervisors, services, instances -----------------------------------------------------

def _bar(label, used, total, unit=''):
    total = total or 0
    return {'label': label, 'used': used or 0, 'limit': total, 'unit': unit,
            'max': max(total, 1), 'high': total > 0 and (used or 0) / total >= 0.8}


def hypervisors(req):
    rows = render.cloud(req).compute.get('/os-hypervisors/detail').json()['hypervisors']
    hosts = [{'name': h.get('hypervisor_hostname') or h.get('id'),
              'state': h.get('state'), 'status': h.get('status'),
              'vms': h.get('running_vms'),
              'bars': [_bar('vCPUs', h.get('vcpus_used'), h.get('vcpus')),
                       _bar('RAM', h.get('memory_mb_used'), h.get('memory_mb'), 'MiB'),
                       _bar('Disk', h.get('local_gb_used'), h.get('local_gb'), 'GiB')]}
             for h in rows]
    return _page(req, 'admin_hypervisors.html', hosts=hosts)


def services(req):
    rows = render.cloud(req).compute.get('/os-services').json()['services']
    return _page(req, 'admin_services.html', services=rows)


def service_set(req, service_id):
    render.check_id(service_id)
    enable = render.form(req, 'action', maximum=10) == 'enable'
    reason = render.form(req, 'reason', maximum=255).strip()
    body = {'status': 'enabled' if enable else 'disabled'}
    if not enable:
        body['disabled_reason'] = reason or 'disabled from the dashboard'
    with render.flash_errors(req) as state:
        render.cloud(req).compute.put(f'/os-services/{service_id}', json=body)
    if state['ok']:
        render.sess(req).flash('Service enabled.' if enable else 'Service disabled.')
    return render.redirect(req, '/admin/services')


def instances(req):
    marker = req.GET.get('marker') or ''
    path = '/servers/detail?all_tenants=1&limit=100'
    if marker:
        path += f'&marker={quote(render.check_id(marker), safe="")}'
    rows = render.cloud(req).compute.get(path).json()['servers']
    servers = [{'id': s['id'], 'name': s.get('name'), 'status': s.get('status'),
                'project': s.get('tenant_id'), 'host': s.get('OS-EXT-SRV-ATTR:host'),
                'created': s.get('created')} for s in rows]
    return _page(req, 'admin_instances.html', servers=servers, marker=marker,
                 next_marker=servers[-1]['id'] if len(servers) == 100 else None)


# --- flavors ----------------------------------------------------------------------------

def flavors(req):
    rows = render.cloud(req).compute.get('/flavors/detail?is_public=None').json()['flavors']
    return _page(req, 'admin_flavors.html', flavors=rows)


def flavor_create(req):
    name = render.form(req, 'name').strip()
    if not name:
        raise wsgi.BadRequest('Give the flavor a name.')
    body = {'flavor': {'name': name, 'vcpus': _number(req, 'vcpus', 1, 1024),
                       'ram': _number(req, 'ram', 1, 2 ** 24),
                       'disk': _number(req, 'disk', 0, 2 ** 20)}}
    with render.flash_errors(req) as state:
        render.cloud(req).compute.post('/flavors', json=body)
    if state['ok']:
        render.sess(req).flash(f'Flavor {name} created.')
    return render.redirect(req, '/admin/flavors')


def flavor_delete(req, flavor_id):
    render.check_id(flavor_id)
    with render.flash_errors(req) as state:
        render.cloud(req).compute.delete(f'/flavors/{flavor_id}')
    if state['ok']:
        render.sess(req).flash('Flavor deleted.')
    return render.redirect(req, '/admin/flavors')


# --- projects, users, quotas ------------------------------------------------------------

def projects(req):
    projects = _identity(req, 'GET', '/projects').json()['projects']
    users = _identity(req, 'GET', '/users').json()['users']
    return _page(req, 'admin_projects.html', all_projects=projects, users=users)


def quotas(req, project_id):
    render.check_id(project_id)
    q = render.cloud(req).compute.get(f'/os-quota-sets/{project_id}/detail').json()
    q = q['quota_set']
    rows = [{'key': k, 'label': label, 'limit': (q.get(k) or {}).get('limit'),
             'used': (q.get(k) or {}).get('in_use')} for k, label in QUOTA_KEYS if k in q]
    return _page(req, 'admin_quotas.html', quota_project=project_id, rows=rows)


def quotas_set(req, project_id):
    render.check_id(project_id)
    values = {}
    for key, _label in QUOTA_KEYS:
        if render.form(req, key, maximum=20).strip():
            values[key] = _number(req, key, -1, 2 ** 31)
    if values:
        with render.flash_errors(req) as state:
            render.cloud(req).compute.put(f'/os-quota-sets/{project_id}',
                                          json={'quota_set': values})
        if state['ok']:
            render.sess(req).flash('Quotas saved.')
    return render.redirect(req, f'/admin/projects/{project_id}/quotas')


# --- the price sheet --------------------------------------------------------------------

def prices(req):
    c = render.cloud(req)
    if not c.has('rating'):
        raise wsgi.NotFound('This cloud has no rating service.')
    rows = c.rating.get('/v1/prices').json()['prices']
    return _page(req, 'admin_prices.html', prices=rows)


def price_add(req):
    fields = {k: render.form(req, k).strip() for k in
              ('meter', 'price_key', 'unit_price', 'effective_from', 'currency', 'region',
               'note')}
    if not fields['meter'] or not fields['unit_price']:
        raise wsgi.BadRequest('A price needs a meter and a unit price.')
    try:
        Decimal(fields['unit_price'])
    except InvalidOperation:
        raise wsgi.BadRequest('The unit price must be a decimal number.') from None
    body = {k: v for k, v in fields.items() if v}
    with render.flash_errors(req) as state:
        render.cloud(req).rating.post('/v1/prices', json={'price': body})
    if state['ok']:
        render.sess(req).flash(f'Price of {fields["meter"]} added.')
    return render.redirect(req, '/admin/prices')


def is_admin(roles):
    """Whether a token's roles (Keystone's list of {id, name}) hold admin."""
    return any((r or {}).get('name') == 'admin' for r in roles or ())


ROUTES = [('GET', '/admin/hypervisors', hypervisors), ('GET', '/admin/services', services),
          ('POST', '/admin/services/{service_id}', service_set),
          ('GET', '/admin/instances', instances), ('GET', '/admin/flavors', flavors),
          ('POST', '/admin/flavors', flavor_create),
          ('POST', '/admin/flavors/{flavor_id}/delete', flavor_delete),
          ('GET', '/admin/projects', projects),
          ('GET', '/admin/projects/{project_id}/quotas', quotas),
          ('POST', '/admin/projects/{project_id}/quotas', quotas_set),
          ('GET', '/admin/prices', prices), ('POST', '/admin/prices', price_add)]


def add_routes(router):
    for method, template, handler in ROUTES:
        router.add(method, template, admin_only(handler))


__all__ = ['APIError', 'CLIError', 'NAV', 'add_routes', 'is_admin']
