"""API credentials: the user's EC2 credentials for the current project
(identity's /v3/users/{id}/credentials/OS-EC2; the secret is shown once,
right after it is made), and ready configuration for the AWS tools (EC2 and
S3 endpoints from the catalog) and the OpenStack CLI (no password)."""
from urllib.parse import quote, urlsplit

from iaas.conf import CONF
from iaas.dashboard import apis, render


def _identity(req, method, path, **kw):
    s = render.sess(req)
    url = f'{apis.identity_url()}/users/{quote(s.get("user_id") or "", safe="")}' \
          f'/credentials/OS-EC2{path}'
    return apis.transport().request(method, url, headers={'X-Auth-Token': s.get('token')},
                                    **kw)


def _list(req):
    project = render.sess(req).get('project_id')
    creds = _identity(req, 'GET', '').json()['credentials']
    # The secret never leaves this function: the list shows access keys only.
    return sorted(({'access': c['access']} for c in creds if c.get('tenant_id') == project),
                  key=lambda c: c['access'])


def _endpoint(cat, service_type, interface):
    """(url, region) of ``service_type`` in the raw catalog, or (None, None)."""
    region = CONF.dashboard.region or None
    for svc in cat:
        if svc.get('type') != service_type:
            continue
        for ep in svc.get('endpoints') or []:
            if ep.get('interface') != interface:
                continue
            ep_region = ep.get('region_id') or ep.get('region')
            if region and ep_region != region:
                continue
            return (ep.get('url') or '').rstrip('/'), ep_region
    return None, None


def _origin(url):
    u = urlsplit(url or '')
    return f'{u.scheme}://{u.netloc}' if u.scheme and u.netloc else None


def config(req):
    """What the snippets need: endpoints, regions, names (never a password)."""
    s = render.sess(req)
    cat = apis.catalog(s.get('token'))
    interface = (CONF.dashboard.interface or 'public').lower().removesuffix('url')
    ec2, ec2_region = _endpoint(cat, 'ec2', interface)
    swift, swift_region = _endpoint(cat, 'object-store', interface)
    identity, id_region = _endpoint(cat, 'identity', interface)
    return {'ec2_url': ec2, 's3_url': _origin(swift),
            'region': ec2_region or swift_region or id_region or 'RegionOne',
            's3_region': CONF.objectstore.s3_region,
            'auth_url': identity or apis.identity_url(),
            'project_id': s.get('project_id'), 'project_name': s.get('project_name'),
            'user_name': s.get('user_name'), 'os_region': id_region}


def index(req, status=200, created=None):
    return render.page(req, 'credentials.html', status=status, credentials=_list(req),
                       created=created, cfg=config(req))


def create(req):
    project = render.sess(req).get('project_id')
    with render.flash_errors(req) as state:
        cred = _identity(req, 'POST', '', json={'tenant_id': project}).json()['credential']
    if not state['ok']:
        return render.redirect(req, '/credentials')
    # The only time anyone sees the secret: shown now, not stored.
    render.sess(req).flash('Credential created: save the secret key now, it is not '
                           'shown again.', 'warn')
    return index(req, created={'access': cred['access'], 'secret': cred['secret']})


def delete(req, access):
    with render.flash_errors(req) as state:
        _identity(req, 'DELETE', '/' + quote(render.check_id(access), safe=''))
    if state['ok']:
        render.sess(req).flash(f'Credential {access} deleted.')
    return render.redirect(req, '/credentials')


def add_routes(router):
    router.add('GET', '/credentials', index)
    router.add('POST', '/credentials', create)
    router.add('POST', '/credentials/{access}/delete', delete)
