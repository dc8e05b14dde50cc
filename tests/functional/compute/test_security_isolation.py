"""Tenant isolation of the compute API (issue #12, finding 1 and the policy
layer): every route declares a policy; an unscoped token is refused (403)
on every route; another project's server is 404 everywhere; a reader only
reads; listing across projects needs its rule; nothing of the victim
changes."""
import pytest

from iaas import wsgi
from iaas.api.compute import app as compute_app
from iaas.compute import policies
from iaas.context import RequestContext
from tests.functional.compute.http import create_server

ACTIONS = ({'os-stop': None}, {'os-start': None}, {'reboot': {'type': 'HARD'}},
           {'pause': None}, {'unpause': None}, {'suspend': None}, {'resume': None},
           {'lock': None}, {'unlock': None}, {'createImage': {'name': 'stolen'}},
           {'os-getConsoleOutput': {'length': 10}}, {'rebuild': {'imageRef': 'x'}},
           {'resize': {'flavorRef': 'sec-1'}}, {'confirmResize': None},
           {'revertResize': None}, {'addSecurityGroup': {'name': 'default'}},
           {'removeSecurityGroup': {'name': 'default'}}, {'shelve': None},
           {'shelveOffload': None}, {'unshelve': None},
           {'os-getSerialConsole': {'type': 'serial'}})


def _routes():
    return [r for r in compute_app.build_app().routes]


def test_every_route_declares_a_registered_policy():
    names = {r.name for r in policies.list_rules()}
    assert len(names) == len(policies.list_rules())
    for route in _routes():
        pol = route.policy
        assert pol is not None, route.template
        if route.template in ('/', '/v2.1', '/openapi.json'):
            assert pol.scope == wsgi.PUBLIC
            continue
        assert pol.scope == wsgi.PROJECT, route.template
        assert pol.rule in names, (route.template, pol.rule)
    assert set(policies.ACTION_RULES.values()) <= names


def _victim_state(api, sid):
    r = api.c('GET', f'/servers/{sid}', token=api.alice,
              headers={'OpenStack-API-Version': 'compute 2.79'})
    assert r.status_int == 200, r.body
    s = r.json['server']
    acts = api.c('GET', f'/servers/{sid}/os-instance-actions', token=api.alice).json[
        'instanceActions']
    return (s['name'], s['metadata'], s['locked'], s['status'], s['description'],
            [a['action'] for a in acts])


def _path(template, sid):
    return template.format(server_id=sid, key='k', request_id='req-x', flavor_id='sec-1',
                           name='kp', project_id='whatever', service_id='1',
                           hypervisor_id='1', group_id='g', network='net', tag='t',
                           volume_id='v', network_id='n', console_token='tok')


def test_unscoped_token_refused_on_every_route(api):
    """Finding 1: a signed-up user's token without a project gets 403 on
    every compute route, sees nothing and changes nothing."""
    sid = create_server(api, api.alice, 'secret-vm', metadata={'k': 'v'})
    before = _victim_state(api, sid)
    bodies = {'POST': {'server': {'name': 'x'}}, 'PUT': {'server': {'name': 'x'}}}
    for route in _routes():
        if route.policy.scope == wsgi.PUBLIC:
            continue
        for method in sorted(route.methods - {'HEAD'}):
            body = ACTIONS[0] if route.template.endswith('/action') else bodies.get(method)
            r = api.c(method, _path(route.template[len('/v2.1'):], sid), body,
                      token=api.unscoped)
            assert r.status_int == 403, (method, route.template, r.status_int, r.body)
            assert r.json_or_none['forbidden']['message'] == \
                'This action requires a project-scoped token.'
            assert sid not in r.text
    assert _victim_state(api, sid) == before


def test_compute_api_refuses_a_context_without_project(api):
    """Defence in depth below the router: no project never means "all"."""
    from iaas.compute import api as compute_api
    from iaas.db import instances as db
    sid = create_server(api, api.alice)
    ctx = RequestContext(user_id='u', project_id=None, roles=[])
    capi = compute_api.API()
    with pytest.raises(compute_api.Forbidden):
        capi.list(ctx)
    with pytest.raises(compute_api.NotFound):
        capi.get(ctx, sid)
    with pytest.raises(compute_api.Forbidden):
        capi.create(ctx, 'x', api.image, api.flavor)
    with pytest.raises(ValueError):
        db.list_(project_id=None)
    with pytest.raises(ValueError):
        db.get(sid, project_id=None)
    assert [i['uuid'] for i in db.list_(project_id=api.a_project)] == [sid]
    assert db.list_(project_id='') == []


def test_other_project_gets_404_and_changes_nothing(api):
    sid = create_server(api, api.alice, 'secret-vm', metadata={'k': 'v'})
    before = _victim_state(api, sid)
    bob = api.bob
    assert api.c('GET', '/servers/detail', token=bob).json['servers'] == []
    assert api.c('GET', '/servers', token=bob).json['servers'] == []
    # all_tenants and another tenant_id need the get_all_tenants rule (Nova: 403).
    for q in ('all_tenants=1', 'all_tenants=true', f'tenant_id={api.a_project}',
              f'all_tenants=1&tenant_id={api.a_project}'):
        for path in ('/servers', '/servers/detail'):
            r = api.c('GET', f'{path}?{q}', token=bob)
            assert r.status_int == 403, (q, r.body)
    # project_id / host filters are ignored without allow_all_filters.
    assert api.c('GET', f'/servers/detail?project_id={api.a_project}',
                 token=bob).json['servers'] == []
    for path in (f'/servers/{sid}', f'/servers/{sid}/metadata', f'/servers/{sid}/metadata/k',
                 f'/servers/{sid}/os-instance-actions'):
        r = api.c('GET', path, token=bob)
        assert r.status_int == 404, (path, r.body)
        assert 'itemNotFound' in r.json_or_none
    for body in ACTIONS:
        r = api.c('POST', f'/servers/{sid}/action', body, token=bob)
        assert r.status_int == 404, (body, r.status_int, r.body)
    for method, path, body in (
            ('PUT', f'/servers/{sid}', {'server': {'name': 'x'}}),
            ('POST', f'/servers/{sid}/metadata', {'metadata': {'a': 'b'}}),
            ('PUT', f'/servers/{sid}/metadata', {'metadata': {}}),
            ('PUT', f'/servers/{sid}/metadata/k', {'meta': {'k': 'x'}}),
            ('DELETE', f'/servers/{sid}/metadata/k', None),
            ('DELETE', f'/servers/{sid}', None)):
        r = api.c(method, path, body, token=bob)
        assert r.status_int == 404, (method, path, r.status_int, r.body)
    # Quotas and usage of another project: refused.
    for path in (f'/os-quota-sets/{api.a_project}', f'/os-quota-sets/{api.a_project}/detail',
                 f'/os-simple-tenant-usage/{api.a_project}', f'/limits?tenant_id={api.a_project}'):
        assert api.c('GET', path, token=bob).status_int == 403, path
    assert _victim_state(api, sid) == before
    # The admin sees it across projects, with the extended attributes.
    r = api.c('GET', '/servers/detail?all_tenants=1', token=api.admin)
    found = [s for s in r.json['servers'] if s['id'] == sid]
    assert found and 'OS-EXT-SRV-ATTR:host' in found[0]
    own = api.c('GET', '/servers/detail', token=api.alice).json['servers']
    assert [s['id'] for s in own] == [sid] and 'OS-EXT-SRV-ATTR:host' not in own[0]


def test_reader_reads_only(api):
    sid = create_server(api, api.alice, 'team-vm')
    before = _victim_state(api, sid)
    r = api.c('GET', f'/servers/{sid}', token=api.reader)
    assert r.status_int == 200
    assert [s['id'] for s in api.c('GET', '/servers', token=api.reader).json['servers']] \
        == [sid]
    for method, path, body in (('POST', f'/servers/{sid}/action', {'os-stop': None}),
                               ('PUT', f'/servers/{sid}', {'server': {'name': 'x'}}),
                               ('DELETE', f'/servers/{sid}', None),
                               ('POST', '/servers', {'server': {'name': 'x'}})):
        r = api.c(method, path, body, token=api.reader)
        assert r.status_int == 403, (method, path, r.body)
    assert _victim_state(api, sid) == before


def test_admin_only_routes_and_private_flavors(api):
    for path in ('/os-services', '/os-hypervisors', '/os-hypervisors/detail',
                 '/os-availability-zone/detail', '/os-simple-tenant-usage'):
        assert api.c('GET', path, token=api.alice).status_int == 403, path
        assert api.c('GET', path, token=api.admin).status_int == 200, path
    r = api.c('PUT', f'/os-quota-sets/{api.a_project}', {'quota_set': {'instances': 99}},
              token=api.alice)
    assert r.status_int == 403
    r = api.c('POST', '/flavors', {'flavor': {'name': 'p', 'ram': 64, 'vcpus': 1,
                                              'disk': 0, 'id': 'priv',
                                              'os-flavor-access:is_public': False}},
              token=api.admin)
    assert r.status_int == 200, r.body
    assert api.c('GET', '/flavors/priv', token=api.bob).status_int == 404
    assert 'priv' not in {f['id'] for f in api.c('GET', '/flavors', token=api.bob).json[
        'flavors']}
    r = api.c('POST', '/flavors/priv/action', {'addTenantAccess': {'tenant': api.b_project}},
              token=api.bob)
    assert r.status_int == 403
    r = api.c('POST', '/flavors/priv/action', {'addTenantAccess': {'tenant': api.b_project}},
              token=api.admin)
    assert r.status_int == 200, r.body
    assert api.c('GET', '/flavors/priv', token=api.bob).status_int == 200
    assert api.c('GET', '/flavors/priv', token=api.alice).status_int == 404


def test_server_groups_and_keypairs_of_others(api):
    r = api.c('POST', '/os-server-groups', {'server_group': {'name': 'g',
                                                             'policies': ['affinity']}},
              token=api.alice)
    assert r.status_int == 200, r.body
    gid = r.json['server_group']['id']
    assert api.c('GET', f'/os-server-groups/{gid}', token=api.bob).status_int == 404
    assert api.c('DELETE', f'/os-server-groups/{gid}', token=api.bob).status_int == 404
    assert api.c('GET', '/os-server-groups?all_projects=true', token=api.bob).json[
        'server_groups'] == []
    assert api.c('GET', f'/os-server-groups/{gid}', token=api.alice).status_int == 200
    # Key pairs: another user's only by rule (admin).
    me = api.identity.call('GET', '/v3/auth/tokens', token=api.alice,
                           headers={'X-Subject-Token': api.alice}).json['token']['user']['id']
    r = api.c('POST', '/os-keypairs', {'keypair': {'name': 'k1'}}, token=api.alice)
    assert r.status_int == 200, r.body
    assert api.c('GET', f'/os-keypairs?user_id={me}', token=api.bob).status_int == 403
    assert api.c('GET', f'/os-keypairs/k1?user_id={me}', token=api.bob).status_int == 403
    r = api.c('POST', '/os-keypairs', {'keypair': {'name': 'k2', 'user_id': me}},
              token=api.bob)
    assert r.status_int == 403
    assert api.c('GET', f'/os-keypairs/k1?user_id={me}', token=api.admin).status_int == 200
