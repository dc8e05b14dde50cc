"""[scheduler] host_state_cache_seconds: the scheduler reuses the host states it
read for that long, consuming each placement on them; a decision that finds
no host on cached states is taken again on fresh ones."""
import threading
import uuid
from unittest import mock

from iaas import states
from iaas.db import compute_nodes as db_nodes
from iaas.db import instances as db
from iaas.db import services as db_services
from iaas.scheduler.host_state import RequestSpec
from iaas.scheduler.manager import SchedulerManager

FLAVOR = {'vcpus': 1, 'memory_mb': 512, 'root_gb': 1, 'ephemeral_gb': 0, 'swap': 0}


def add_host(name):
    db_services.service_register(name, 'iaas-compute', 'compute')
    db_nodes.upsert(name, name, vcpus=8, memory_mb=8192, local_gb=100,
                    hypervisor_type='fake')


def new_instance():
    u = str(uuid.uuid4())
    db.create_with_quota('p', [dict(uuid=u, project_id='p', user_id='u', display_name='x',
                                    vm_state=states.BUILDING, task_state=states.SCHEDULING,
                                    vcpus=1, memory_mb=512, root_gb=1, ephemeral_gb=0,
                                    metadata_={}, system_metadata={})])
    return u


def test_off_every_build_reads_the_hosts(conf, sqlite_db):
    conf.set_override('host_state_cache_seconds', 0, group='scheduler')
    add_host('c1')
    mgr = SchedulerManager('s')
    assert mgr.cached_host_states() is not mgr.cached_host_states()


def test_on_by_default(conf, sqlite_db):
    add_host('c1')
    mgr = SchedulerManager('s')
    assert mgr.cached_host_states() is mgr.cached_host_states()


def test_one_thread_reads_while_the_others_use_the_states_they_have(conf, sqlite_db):
    conf.set_override('host_state_cache_seconds', 30, group='scheduler')
    add_host('c1')
    mgr = SchedulerManager('s')
    old = mgr.cached_host_states()
    mgr._cached = (mgr._cached[0] - 60, old)        # expired
    reading = threading.Event()
    release = threading.Event()
    real = mgr.host_states

    def slow_read():
        reading.set()
        assert release.wait(10)
        return real()
    with mock.patch.object(mgr, 'host_states', side_effect=slow_read) as read:
        t = threading.Thread(target=mgr.cached_host_states)
        t.start()
        assert reading.wait(10)
        # a second decision meanwhile: no second read, the old states
        assert mgr.cached_host_states() is old
        release.set()
        t.join(10)
    assert read.call_count == 1
    assert mgr.cached_host_states() is not old


def two_hosts_cached(conf):
    """A scheduler with two hosts c1 and c2 and a 30 s cache."""
    conf.set_override('host_state_cache_seconds', 30, group='scheduler')
    add_host('c1')
    add_host('c2')
    mgr = SchedulerManager('s')
    mgr.compute = mock.Mock()
    return mgr


def test_a_host_disabled_since_the_read_is_not_claimed(conf, sqlite_db):
    mgr = two_hosts_cached(conf)
    mgr.cached_host_states()
    db_services.service_update('c1', 'iaas-compute', disabled=True)
    for _ in range(3):
        u = new_instance()
        mgr.build_instances(mock.Mock(request_id='req-1'),
                            RequestSpec(instance_uuids=[u], flavor=FLAVOR).to_dict())
        assert db.get(u)['host'] == 'c2'


def test_cached_states_carry_the_placements_made_on_them(conf, sqlite_db):
    mgr = two_hosts_cached(conf)
    first = mgr.cached_host_states()
    add_host('c3')                          # not seen until the cache is old
    assert mgr.cached_host_states() is first and len(first) == 2
    for _ in range(4):
        ctx = mock.Mock(request_id='req-1')
        mgr.build_instances(ctx, RequestSpec(instance_uuids=[new_instance()],
                                             flavor=FLAVOR).to_dict())
    # spread over both hosts: each decision saw the ones before it
    hosts = [c.args[1] for c in mgr.compute.build_and_run_instance.call_args_list]
    assert sorted(hosts) == ['c1', 'c1', 'c2', 'c2']
    assert sum(h.memory_mb_used for h in first) == 4 * 512


def test_no_host_on_cached_states_is_checked_on_fresh_ones(conf, sqlite_db):
    conf.set_override('host_state_cache_seconds', 30, group='scheduler')
    mgr = SchedulerManager('s')
    mgr.compute = mock.Mock()
    assert mgr.cached_host_states() == []   # cached before any host existed
    add_host('c1')
    u = new_instance()
    mgr.build_instances(mock.Mock(request_id='req-1'),
                        RequestSpec(instance_uuids=[u], flavor=FLAVOR).to_dict())
    assert mgr.compute.build_and_run_instance.call_args.args[1] == 'c1'
    assert db.get(u)['host'] == 'c1'
