"""Quota and claim atomicity under real concurrency on each database:
threads racing for the last slots never get more than there is."""
import concurrent.futures
import threading

import pytest

from iaas.compute import api as compute_api
from iaas.db import compute_nodes as db_nodes
from iaas.db import instances as db
from iaas.db import quotas
from tests.functional.compute.conftest import PROJECT, new_instance_values

THREADS = 20


def race(fn, n=THREADS):
    """Run ``fn(i)`` in ``n`` threads released at the same moment."""
    gate = threading.Barrier(n)

    def run(i):
        gate.wait()
        try:
            return fn(i)
        except Exception as exc:
            return exc
    with concurrent.futures.ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def test_quota_is_atomic_under_concurrent_creates(conf, db_url, ctx, image, flavor):
    conf.set_override('transport_url', 'memory://')
    quotas.set_limits(PROJECT, {'instances': 10})
    api = compute_api.API()
    out = race(lambda i: api.create(ctx, f'q{i}', image, flavor))
    made = [o for o in out if not isinstance(o, Exception)]
    refused = [o for o in out if isinstance(o, Exception)]
    assert len(made) == 10, refused
    assert all(isinstance(e, compute_api.ComputeError) and e.code == 403 and
               'Quota exceeded for instances' in str(e) for e in refused), refused
    assert len(db.list_(project_id=PROJECT)) == 10
    # Every instance got its create action in the same transaction.
    for created, _rid in made:
        assert [a['action'] for a in db.actions_list(created[0]['uuid'])] == ['create']


def test_multi_create_takes_what_fits(conf, db_url, ctx, image, flavor):
    conf.set_override('transport_url', 'memory://')
    quotas.set_limits(PROJECT, {'instances': 3})
    api = compute_api.API()
    created, _ = api.create(ctx, 'm', image, flavor, min_count=1, max_count=5)
    assert len(created) == 3
    with pytest.raises(compute_api.ComputeError) as err:
        api.create(ctx, 'more', image, flavor)
    assert err.value.code == 403


def test_unlimited_quota_creates_in_parallel_then_limit_applies(conf, db_url, ctx, image,
                                                                 flavor):
    conf.set_override('transport_url', 'memory://')
    quotas.set_limits(PROJECT, {'instances': -1, 'cores': -1, 'ram': -1})
    api = compute_api.API()
    out = race(lambda i: api.create(ctx, f'u{i}', image, flavor))
    assert not [o for o in out if isinstance(o, Exception)], out
    assert len(db.list_(project_id=PROJECT)) == THREADS
    quotas.set_limits(PROJECT, {'instances': THREADS})
    with pytest.raises(compute_api.ComputeError, match='Quota exceeded for instances'):
        api.create(ctx, 'one-too-many', image, flavor)


@pytest.mark.parametrize('ratio', [1.0, 1.5])
def test_claims_never_oversubscribe_a_node(conf, db_url, ratio):
    """30 concurrent claims of 512 MiB on a node with room for 4 (or 6 at a
    RAM allocation ratio of 1.5): exactly that many win."""
    db_nodes.upsert('tiny', 'tiny', vcpus=64, memory_mb=2048, local_gb=100,
                    cpu_allocation_ratio=16.0, ram_allocation_ratio=ratio,
                    disk_allocation_ratio=1.0, hypervisor_type='fake')
    quotas.set_limits(PROJECT, {'instances': -1, 'cores': -1, 'ram': -1})
    rows = db.create_with_quota(PROJECT, new_instance_values(30))
    flavor = {'vcpus': 1, 'memory_mb': 512, 'root_gb': 1, 'ephemeral_gb': 0}
    out = race(lambda i: db_nodes.claim('tiny', 'tiny', rows[i]['uuid'], flavor,
                                        task_state='spawning'), n=30)
    fit = int(2048 * ratio // 512)
    assert out.count(True) == fit and out.count(False) == 30 - fit, out
    node = db_nodes.list_('tiny')[0]
    assert node['memory_mb_used'] == fit * 512 <= node['memory_mb'] * ratio
    assert node['running_vms'] == fit
    on_node = db.list_(filters={'host': 'tiny'})
    assert len(on_node) == fit and all(i['task_state'] == 'spawning' for i in on_node)
    # A claim for an instance no longer waiting to be scheduled changes nothing.
    assert db_nodes.claim('tiny', 'tiny', on_node[0]['uuid'], flavor) is not True
