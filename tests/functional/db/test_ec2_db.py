"""The EC2 API's database code on SQLite, PostgreSQL and MariaDB:

* RunInstances' client token is recorded in the transaction that inserts
  the instances: of requests racing with one token exactly one makes
  instances, the others are ``Taken`` and leave nothing behind;
* the UUIDs of EC2 ids are kept in memory once read (a mapping never
  changes): a second lookup costs no query, an id not found is looked up
  again;
* a flavor by name (EC2's instance type) and whether a project has a
  network to plug a server into, each one query.
"""
import concurrent.futures
import threading
import uuid

import pytest
import sqlalchemy as sa

from iaas import states
from iaas.db import ec2_ids, ec2_tokens, engine, flavors, networks
from iaas.db import instances as db
from iaas.db.ec2_models import Ec2Id
from iaas.exception import FlavorNotFound


def _values(project_id='p'):
    return dict(uuid=str(uuid.uuid4()), project_id=project_id, user_id='u',
                display_name='x', vm_state=states.BUILDING, task_state=states.SCHEDULING,
                power_state=states.NOSTATE, vcpus=1, memory_mb=64, root_gb=1,
                ephemeral_gb=0, metadata_={}, system_metadata={})


def _statements():
    """A list that receives each SQL statement this process sends."""
    seen = []
    sa.event.listen(engine.get_engine(), 'before_cursor_execute',
                    lambda *a: seen.append(a[2]))
    return seen


def test_a_client_token_makes_instances_once(db_url):
    made = db.create_with_quota('p', [_values(), _values()], client_token=('t-1', 'd1'))
    assert ec2_tokens.get('p', 't-1')['instance_uuids'] == [i['uuid'] for i in made]
    again = [_values()]
    with pytest.raises(ec2_tokens.Taken):
        db.create_with_quota('p', again, client_token=('t-1', 'd1'))
    with pytest.raises(db.InstanceNotFound):       # rolled back with the token
        db.get(again[0]['uuid'])
    # the token is the project's: another project's of the same name is its own
    other = db.create_with_quota('q', [_values('q')], client_token=('t-1', 'd2'))
    assert ec2_tokens.get('q', 't-1')['instance_uuids'] == [other[0]['uuid']]
    ec2_tokens.release('p', 't-1')
    assert ec2_tokens.get('p', 't-1') is None


def test_racing_requests_with_one_token_make_one_set(db_url):
    start = threading.Barrier(4)

    def create(_):
        start.wait(10)
        try:
            return db.create_with_quota('p', [_values()], client_token=('race', 'd'))
        except ec2_tokens.Taken:
            return None
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(pool.map(create, range(4)))
    (winner,) = [r for r in results if r is not None]
    assert ec2_tokens.get('p', 'race')['instance_uuids'] == [winner[0]['uuid']]
    assert [i['uuid'] for i in db.list_(project_id='p')] == [winner[0]['uuid']]


def test_ec2_ids_are_kept_once_read(db_url):
    u1, u2 = str(uuid.uuid4()), str(uuid.uuid4())
    made = ec2_ids.ids_for('instance', 'i', [u1])
    assert ec2_ids.uuids_for('instance', [made[u1]]) == {made[u1]: u1}
    seen = _statements()
    assert ec2_ids.uuids_for('instance', [made[u1]]) == {made[u1]: u1}
    assert seen == []
    # an id not found is not kept: once made (by another process here),
    # it is found
    assert ec2_ids.uuids_for('instance', ['i-0000000000000000a']) == {}
    with engine.transaction() as s:
        s.add(Ec2Id(kind='instance', uuid=u2, ec2_id='i-0000000000000000a'))
    assert ec2_ids.uuids_for('instance', ['i-0000000000000000a']) == {
        'i-0000000000000000a': u2}
    # kinds are apart: the same uuid is another kind's resource
    assert ec2_ids.ids_for('image', 'ami', [u1])[u1].startswith('ami-')


def test_flavor_by_name(db_url):
    flavors.create('m1.tiny', 512, 1, flavorid='1')
    private = flavors.create('p1.big', 4096, 4, flavorid='9', is_public=False)
    assert flavors.get_by_name('m1.tiny', 'p', include_private=False)['flavorid'] == '1'
    with pytest.raises(FlavorNotFound):
        flavors.get_by_name('p1.big', 'p', include_private=False)
    flavors.access_add(private['flavorid'], 'p')
    assert flavors.get_by_name('p1.big', 'p', include_private=False)['flavorid'] == '9'
    with pytest.raises(FlavorNotFound):
        flavors.get_by_name('no.such', 'p')


def test_a_usable_network(db_url):
    assert not networks.network_usable_exists('p')
    networks.network_create('public', project_id='admin', external=True)
    assert not networks.network_usable_exists('p')         # external: not for servers
    networks.network_create('shared', project_id='admin', shared=True)
    assert networks.network_usable_exists('p')
    assert networks.network_usable_exists('q')
