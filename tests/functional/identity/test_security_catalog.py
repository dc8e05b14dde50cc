"""The catalog lists only what the deployment serves (issue #12, finding
14), and EC2 credentials always name a project and go with it (finding 5's
identity side)."""
import json

import pytest

from iaas.api import ec2_auth
from tests.functional.identity.helpers import (
    ADMIN_PW,
    admin_client,
    ec2_context,
    new_member,
)

SERVED = {'identity', 'compute', 'image', 'object-store', 'network', 'volumev3',
          'block-storage', 'rating'}


@pytest.fixture
def api(db_url):
    return admin_client()


def _types(api):
    return {s['type'] for s in api.call('GET', '/v3/auth/catalog',
                                        token=api.admin).json['catalog']}


def test_catalog_lists_only_served_services(api, conf):
    from iaas.identity import bootstrap
    assert _types(api) == SERVED
    # An older bootstrap registered an EC2 endpoint nothing serves…
    everything = SERVED | {'ec2'}
    conf.set_override('catalog_services', sorted(everything), group='identity')
    try:
        bootstrap.bootstrap(ADMIN_PW)
        assert _types(api) == everything
    finally:
        conf.clear_override('catalog_services', group='identity')
    s = api.call('POST', '/v3/services', {'service': {'type': 'metering', 'name': 'm'}},
                 api.admin).json['service']
    api.call('POST', '/v3/endpoints', {'endpoint': {
        'service_id': s['id'], 'interface': 'public', 'url': 'http://127.0.0.1:1/m'}},
        api.admin)
    # …the next bootstrap takes them out; what an operator added stays.
    bootstrap.bootstrap(ADMIN_PW)
    assert _types(api) == SERVED | {'metering'}
    tok = api.token('admin', ADMIN_PW, 'admin').json['token']
    assert {s['type'] for s in tok['catalog']} == SERVED | {'metering'}


def _member(api, name):
    m = new_member(api, name)
    return m['id'], m['project_id'], m['token']


def test_ec2_credential_needs_a_project(api):
    uid, pid, tok = _member(api, 'ella')
    base = f'/v3/users/{uid}/credentials/OS-EC2'
    for body in ({}, {'tenant_id': None}, {'tenant_id': ''}, {'tenant_id': ['x']}):
        r = api.call('POST', base, body, tok)
        assert r.status_int == 400, (body, r.body)
    blob = json.dumps({'access': 'AKIDNOPROJECT', 'secret': 's'})
    for extra in ({}, {'project_id': None}):
        r = api.call('POST', '/v3/credentials', {'credential': {
            'user_id': uid, 'type': 'ec2', 'blob': blob, **extra}}, tok)
        assert r.status_int == 400, r.body
    assert ec2_auth.lookup('AKIDNOPROJECT') is None
    # Rows without a project from before are not usable either.
    from iaas.identity import credentials
    credentials.create(uid, 'ec2', blob)
    assert credentials.get_ec2('AKIDNOPROJECT') is None
    assert ec2_context('AKIDNOPROJECT') is None


@pytest.mark.parametrize('delete', ['user', 'project'])
def test_ec2_credentials_go_with_their_user_or_project(api, delete):
    from iaas.db import identity as db
    uid, pid, tok = _member(api, f'del-{delete}')
    r = api.call('POST', f'/v3/users/{uid}/credentials/OS-EC2', {'tenant_id': pid}, tok)
    access = r.json['credential']['access']
    assert ec2_context(access) is not None
    path = f'/v3/users/{uid}' if delete == 'user' else f'/v3/projects/{pid}'
    assert api.call('DELETE', path, token=api.admin).status_int == 204
    assert ec2_auth.lookup(access) is None
    assert ec2_context(access) is None
    assert [c for c in db.credential_list() if c['access'] == access] == []
