"""The admin pages (hypervisors, services, all instances, flavors, projects,
quotas, prices) for a session with the admin role, a 404 for a member's; and
the change of a user's own password."""
import re
import uuid

import pytest

from tests.functional.dashboard.conftest import DashboardUser
from tests.functional.dashboard.test_sessions import loc
from tests.fuzz.conftest import ADMIN_PASSWORD, USER_PASSWORD
from tests.probe.compute.helpers import deadline_poll

ADMIN_PAGES = ('/admin/hypervisors', '/admin/services', '/admin/instances',
               '/admin/flavors', '/admin/projects', '/admin/prices')


@pytest.fixture
def admin(dash_cloud):
    a = DashboardUser(dash_cloud.base, 'admin', dash_cloud.api.admin_project_id,
                      dash_cloud.api.admin_token)
    a.login(password=ADMIN_PASSWORD)
    return a


def test_member_sees_no_admin_pages(dash_cloud, user):
    user.login()
    assert 'href="/admin/' not in user.get('/').text
    for page in ADMIN_PAGES + (f'/admin/projects/{user.project_id}/quotas',):
        r = user.get(page, follow=False)
        assert r.status_code == 404, (page, r.status_code)
    r = user.post('/admin/flavors', {'name': 'sneaky', 'vcpus': '1', 'ram': '64',
                                     'disk': '0'}, form_page='/keypairs')
    assert r.status_code == 404
    flavors = dash_cloud.api.call('compute', 'GET', '/v2.1/flavors', user.token).json()
    assert 'sneaky' not in {f['name'] for f in flavors['flavors']}


def test_admin_pages_show_the_cloud(dash_cloud, admin, user):
    api = dash_cloud.api
    flavor = api.call('compute', 'GET', '/v2.1/flavors', user.token).json()['flavors'][0]
    server = api.call('compute', 'POST', '/v2.1/servers', user.token, 202, json={'server': {
        'name': 'seen-by-admin', 'imageRef': user.resources['image_id'],
        'flavorRef': flavor['id'], 'networks': [{'uuid': user.resources['network_id']}]}}
    ).json()['server']
    deadline_poll(lambda: api.call('compute', 'GET', f'/v2.1/servers/{server["id"]}',
                                   user.token).json()['server']['status'] == 'ACTIVE', 60,
                  what='server ACTIVE')
    assert 'href="/admin/hypervisors"' in admin.get('/').text
    pages = {p: admin.get(p) for p in ADMIN_PAGES}
    for page, r in pages.items():
        assert r.status_code == 200, (page, r.status_code, r.text[:500])
    host = api.call('compute', 'GET', f'/v2.1/servers/{server["id"]}', api.admin_token
                    ).json()['server']['OS-EXT-SRV-ATTR:host']
    assert host in pages['/admin/hypervisors'].text
    assert '<meter' in pages['/admin/hypervisors'].text
    row = re.search(r'seen-by-admin.*?</tr>', pages['/admin/instances'].text, re.S)
    assert row and host in row.group(0) and user.project_id in row.group(0)
    assert 'iaas-compute' in pages['/admin/services'].text
    assert user.name in pages['/admin/projects'].text


def test_admin_flavors_services_quotas(dash_cloud, admin, user):
    api = dash_cloud.api
    name = f'dash-flavor-{uuid.uuid4().hex[:6]}'
    r = admin.post('/admin/flavors', {'name': name, 'vcpus': '2', 'ram': '256',
                                      'disk': '1'}, form_page='/admin/flavors')
    assert r.status_code == 303 and loc(r) == '/admin/flavors'
    flavors = api.call('compute', 'GET', '/v2.1/flavors/detail', api.admin_token).json()
    made = next(f for f in flavors['flavors'] if f['name'] == name)
    assert (made['vcpus'], made['ram'], made['disk']) == (2, 256, 1)
    assert admin.post('/admin/flavors', {'name': 'x', 'vcpus': 'many', 'ram': '1',
                                         'disk': '0'}, form_page='/admin/flavors'
                      ).status_code == 400
    r = admin.post(f'/admin/flavors/{made["id"]}/delete', {}, form_page='/admin/flavors')
    assert r.status_code == 303
    flavors = api.call('compute', 'GET', '/v2.1/flavors', api.admin_token).json()
    assert name not in {f['name'] for f in flavors['flavors']}

    services = api.call('compute', 'GET', '/v2.1/os-services', api.admin_token,
                        headers={'OpenStack-API-Version': 'compute 2.53'}).json()['services']
    svc = next(s for s in services if s['binary'] == 'iaas-compute')
    try:
        r = admin.post(f'/admin/services/{svc["id"]}', {'action': 'disable',
                                                        'reason': 'dashboard-maintenance'},
                       form_page='/admin/services')
        assert r.status_code == 303
        assert 'dashboard-maintenance' in admin.get('/admin/services').text
    finally:
        r = admin.post(f'/admin/services/{svc["id"]}', {'action': 'enable'},
                       form_page='/admin/services')
        assert r.status_code == 303
    services = api.call('compute', 'GET', '/v2.1/os-services', api.admin_token,
                        headers={'OpenStack-API-Version': 'compute 2.53'}).json()['services']
    assert next(s for s in services if s['id'] == svc['id'])['status'] == 'enabled'

    page = f'/admin/projects/{user.project_id}/quotas'
    assert 'name="instances"' in admin.get(page).text
    r = admin.post(page, {'instances': '7', 'cores': ''}, form_page=page)
    assert r.status_code == 303
    q = api.call('compute', 'GET', f'/v2.1/os-quota-sets/{user.project_id}',
                 api.admin_token).json()['quota_set']
    assert q['instances'] == 7


def test_change_password(dash_cloud, user):
    user.login()
    r = user.post('/account/password', {'original_password': 'wrong-one',
                                        'password': 'N3w-passw0rd!', 'password2':
                                        'N3w-passw0rd!'}, form_page='/account')
    assert r.status_code == 400 and 'current password is wrong' in r.text
    r = user.post('/account/password', {'original_password': USER_PASSWORD,
                                        'password': 'N3w-passw0rd!', 'password2': 'other'},
                  form_page='/account')
    assert r.status_code == 400 and 'differ' in r.text
    r = user.post('/account/password', {'original_password': USER_PASSWORD,
                                        'password': 'N3w-passw0rd!', 'password2':
                                        'N3w-passw0rd!'}, form_page='/account')
    assert r.status_code == 303 and loc(r) == '/login'
    assert user.get('/', follow=False).status_code == 303      # the session ended
    bad = user.post('/login', {'username': user.name, 'password': USER_PASSWORD},
                    form_page='/login')
    assert bad.status_code == 401
    user.login(password='N3w-passw0rd!')
    assert user.get('/', follow=False).status_code == 200
