"""Nova's addSecurityGroup / removeSecurityGroup on a server's ports, and the
server's ``security_groups`` read from its ports (on each database)."""
import pytest

from iaas.context import RequestContext
from iaas.db import networks as db
from iaas.network import api as network_api

P = 'proj-sg-srv'


@pytest.fixture
def setup(conf, db_url):
    conf.set_override('transport_url', 'memory://')
    net = db.network_create('n', P)
    db.subnet_create(net['id'], '10.62.0.0/24', project_id=P)
    ports = [db.port_create(net['id'], project_id=P, device_id='inst-1',
                            device_owner='compute:nova') for _ in range(2)]
    default = db.ensure_default_group(P)
    web = db.sg_create('web', P)
    foreign = db.sg_create('theirs', 'other-project')
    return {'ports': ports, 'default': default, 'web': web, 'foreign': foreign}


def groups_of(port):
    return set(db.port_get(port['id'])['security_groups'])


def test_add_and_remove(setup):
    ctx = RequestContext(user_id='u', project_id=P, roles=['member'])
    d, web = setup['default']['id'], setup['web']['id']
    assert network_api.security_groups_for_instances(['inst-1', 'none']) == \
        {'inst-1': ['default']}
    assert network_api.add_security_group(ctx, 'inst-1', P, 'web')['id'] == web
    assert all(groups_of(p) == {d, web} for p in setup['ports'])
    network_api.add_security_group(ctx, 'inst-1', P, web)          # by id; no duplicate
    assert all(groups_of(p) == {d, web} for p in setup['ports'])
    assert network_api.security_groups_for_instances(['inst-1']) == \
        {'inst-1': ['default', 'web']}

    network_api.remove_security_group(ctx, 'inst-1', P, 'default')
    assert all(groups_of(p) == {web} for p in setup['ports'])
    with pytest.raises(network_api.NotFound, match='on instance'):
        network_api.remove_security_group(ctx, 'inst-1', P, 'default')


def test_refused(setup):
    ctx = RequestContext(user_id='u', project_id=P, roles=['member'])
    for group in ('nope', 'theirs', setup['foreign']['id']):   # another project's: unseen
        with pytest.raises(network_api.NotFound):
            network_api.add_security_group(ctx, 'inst-1', P, group)
    with pytest.raises(network_api.NotFound, match='Port of instance'):
        network_api.add_security_group(ctx, 'no-ports', P, 'web')
    db.sg_create('web', P)
    with pytest.raises(network_api.Conflict, match='give its ID'):
        network_api.add_security_group(ctx, 'inst-1', P, 'web')
    db.port_update(setup['ports'][0]['id'], security_groups=[], port_security_enabled=False)
    with pytest.raises(network_api.Invalid, match='port_security_enabled'):
        network_api.add_security_group(ctx, 'inst-1', P, 'default')
    # nothing changed on the refused calls
    assert groups_of(setup['ports'][1]) == {setup['default']['id']}
