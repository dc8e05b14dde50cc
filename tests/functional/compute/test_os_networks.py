"""Nova's os-networks proxy (2.1-2.35): the networks a project may use as
id and label (what Tempest looks its fixed network up by when it is told
there is no Neutron); another project's network is 404; gone from 2.36."""
from iaas.db import networks as db_networks

V = 'OpenStack-API-Version'


def test_list_and_show(api):
    shared = db_networks.network_create('private', project_id='admin-p', shared=True)
    mine = db_networks.network_create('mine', project_id=api.a_project)
    theirs = db_networks.network_create('theirs', project_id=api.b_project)
    r = api.c('GET', '/os-networks', token=api.alice)
    assert r.status_int == 200, r.body
    got = {n['label']: n for n in r.json['networks']}
    assert set(got) == {'private', 'mine'}
    assert got['private']['id'] == shared['id']
    assert set(got['mine']) == {'id', 'cidr', 'netmask', 'gateway', 'broadcast', 'dns1',
                                'dns2', 'cidr_v6', 'gateway_v6', 'label', 'netmask_v6'}
    assert got['mine']['cidr'] is None
    r = api.c('GET', f"/os-networks/{mine['id']}", token=api.alice)
    assert r.status_int == 200 and r.json['network'] == got['mine'], r.body
    # another project's network is not found; the admin sees all (with the admin fields)
    r = api.c('GET', f"/os-networks/{theirs['id']}", token=api.alice)
    assert r.status_int == 404 and r.json['itemNotFound']['message'] == 'Network not found'
    assert api.c('GET', '/os-networks/nope', token=api.alice).status_int == 404
    r = api.c('GET', '/os-networks', token=api.admin)
    assert {'private', 'mine', 'theirs'} <= {n['label'] for n in r.json['networks']}
    assert 'project_id' in r.json['networks'][0]
    # a proxy API: 404 from 2.36
    for path in ('/os-networks', f"/os-networks/{mine['id']}"):
        assert api.c('GET', path, token=api.alice,
                     headers={V: 'compute 2.35'}).status_int == 200
        assert api.c('GET', path, token=api.alice,
                     headers={V: 'compute 2.36'}).status_int == 404
    assert api.c('GET', '/os-networks', token=api.unscoped).status_int in (401, 403)
