"""What the conductor lets a (verified) host do: a compute host only its own
instances, service rows and node — another host's instance does not exist
for it —; a network host ports and leases, in the instance's own project."""

import pytest

from iaas import states
from iaas.context import RequestContext
from iaas.db import compute_nodes as db_nodes
from iaas.db import instances as db
from iaas.db import services as db_services
from iaas.exception import HostNotAuthorized, InstanceNotFound
from tests.unit.conductor.direct import direct_conductor, placed_instance

OWNER, OTHER = 'auth-c1', 'auth-c2'


@pytest.fixture
def ctx(conf, sqlite_db):
    return RequestContext(user_id='u', project_id='p', roles=['member'])


@pytest.fixture
def instance(ctx):
    return placed_instance(OWNER)


def test_the_owning_host_reads_and_writes_its_instance(ctx, instance):
    mine = direct_conductor(OWNER)
    assert mine.instance_get(ctx, instance)['host'] == OWNER
    mine.instance_update(ctx, instance, states.SPAWNING, task_state=None,
                         vm_state=states.ACTIVE)
    assert db.get(instance)['vm_state'] == states.ACTIVE


@pytest.mark.parametrize('call', [
    lambda c, ctx, u: c.instance_get(ctx, u),
    lambda c, ctx, u: c.instance_get(ctx, u, start_event='compute_x'),
    lambda c, ctx, u: c.instance_update(ctx, u, states.SPAWNING, task_state=None),
    lambda c, ctx, u: c.instance_update(ctx, u, states.SPAWNING, finish_event='compute_x',
                                        task_state=None),
    lambda c, ctx, u: c.instance_fault(ctx, u, 'x', OTHER),
    lambda c, ctx, u: c.instance_error(ctx, u, 'x', OTHER, any_task_state=True),
    lambda c, ctx, u: c.instance_destroyed(ctx, u, OTHER),
    lambda c, ctx, u: c.instance_destroyed(ctx, u, OTHER, finish_event='compute_x'),
    lambda c, ctx, u: c.action_event(ctx, u, 'compute_x', OTHER),
    lambda c, ctx, u: c.build_failed(ctx, u, OTHER, {}, 1, 'x'),
])
def test_another_compute_host_finds_no_such_instance(ctx, instance, call):
    db.action_start(instance, 'create', ctx.request_id)
    before = db.get(instance)
    with pytest.raises(InstanceNotFound):
        call(direct_conductor(OTHER), ctx, instance)
    assert db.get(instance) == before
    assert db.action_get(instance, ctx.request_id)['events'] == []
    assert db.get(instance, include_deleted=True)['deleted'] == 0


def test_a_host_places_an_instance_only_on_itself(ctx, instance):
    mine = direct_conductor(OWNER)
    for values in ({'host': OTHER}, {'node': 'elsewhere'}):
        with pytest.raises(HostNotAuthorized):
            mine.instance_update(ctx, instance, states.SPAWNING, **values)
    assert db.get(instance)['host'] == OWNER


def test_a_host_speaks_only_for_its_own_rows(ctx, instance):
    other = direct_conductor(OTHER)
    with pytest.raises(HostNotAuthorized):
        other.instances_on_host(ctx, OWNER)
    with pytest.raises(HostNotAuthorized):
        other.compute_node_report(ctx, OWNER, OWNER, {'vcpus': 1000})
    with pytest.raises(HostNotAuthorized):
        other.service_register(ctx, OWNER, 'iaas-compute', 'compute')
    with pytest.raises(HostNotAuthorized):        # a compute host is no network host
        other.service_register(ctx, OTHER, 'iaas-network', 'network')
    mine = direct_conductor(OWNER).service_register(ctx, OWNER, 'iaas-compute', 'compute')
    with pytest.raises(HostNotAuthorized):
        other.service_heartbeat(ctx, mine['id'])
    direct_conductor(OWNER).service_heartbeat(ctx, mine['id'])
    assert [s['host'] for s in db_services.service_list(binary='iaas-network')] == []
    assert all(n['vcpus'] != 1000 for n in db_nodes.list_(host=OWNER))


def test_roles_do_not_mix(ctx, instance):
    net = direct_conductor('auth-n1', 'network')
    with pytest.raises(HostNotAuthorized):
        net.instance_update(ctx, instance, states.SPAWNING, task_state=None)
    with pytest.raises(HostNotAuthorized):
        direct_conductor(OWNER).ports_deallocate(ctx, instance)
    with pytest.raises(HostNotAuthorized):      # ports only in the instance's project
        net.ports_allocate(ctx, instance, 'another-project', 'none', None, OWNER)
    net.ports_allocate(ctx, instance, 'p', 'none', None, OWNER)
    assert net.ports_of_instance(ctx, instance) == []


def test_the_host_an_instance_moved_to_is_served_at_once(ctx, instance):
    # one conductor (one placement memo) serving both hosts
    from iaas.conductor import hostauth
    from tests.unit.conductor.direct import _DirectClient
    mine = direct_conductor(OWNER)
    assert mine.instance_get(ctx, instance)['host'] == OWNER
    mine.action_event(ctx, instance, 'compute_x', OWNER)      # placement remembered
    db.update(instance, expected_task_state=states.SPAWNING, host=OTHER, node=OTHER)  # a claim
    other = direct_conductor(OTHER)
    other.client = _DirectClient(mine.client.endpoint, hostauth.Caller(OTHER, 'compute'))
    other.instance_update(ctx, instance, states.SPAWNING, task_state=None)
    assert db.get(instance)['task_state'] is None
    with pytest.raises(InstanceNotFound):                     # the old host: gone for it
        mine.instance_get(ctx, instance)


def test_migration_records_move_only_by_their_ends(ctx, instance):
    from iaas.db import server_migrations as migrations
    inst = db.get(instance)
    mig = migrations.create(inst, migrations.EVACUATION, 'pre-migrating',
                            dest_compute='auth-c3')
    third = direct_conductor('auth-c4')
    with pytest.raises(HostNotAuthorized):
        third.migration_update(ctx, mig['id'], 'pre-migrating', 'done')
    with pytest.raises(HostNotAuthorized):       # another host's evacuations
        third.evacuated_from_host(ctx, OWNER)
    with pytest.raises(HostNotAuthorized):
        third.evacuations_cleaned(ctx, OWNER, [mig['id']])
    dest = direct_conductor('auth-c3')
    assert dest.migration_update(ctx, mig['id'], 'accepted', 'done') is None   # not so
    assert dest.migration_update(ctx, mig['id'], 'pre-migrating', 'done')['status'] == 'done'
    source = direct_conductor(OWNER)
    assert [m['id'] for m in source.evacuated_from_host(ctx, OWNER)] == [mig['id']]
    source.evacuations_cleaned(ctx, OWNER, [mig['id']])
    assert migrations.get(mig['id'])['status'] == 'completed'
    assert source.evacuated_from_host(ctx, OWNER) == []
