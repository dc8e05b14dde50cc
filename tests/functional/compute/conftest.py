"""In-process compute: the scheduler and compute managers as Service
objects over the ``memory://`` bus and the ``db_url`` database (SQLite,
PostgreSQL, MariaDB), driven through ``iaas.compute.api.API`` with a
RequestContext — the control path without HTTP or subprocesses."""
import time
import uuid

import pytest

from iaas import states
from iaas.context import RequestContext
from tests.functional.compute.http import api  # noqa: F401  (HTTP fixture)
from tests.inprocess import control_plane, running

PROJECT = 'proj-func'
USER = 'user-func'


def wait_for(check, timeout=15, interval=0.02, what='condition'):
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f'{what} not reached within {timeout}s (last: {last!r})')


@pytest.fixture
def ctx():
    return RequestContext(user_id=USER, project_id=PROJECT, roles=['member'])


@pytest.fixture
def image(db_url):
    from iaas.db import images as db_images
    return db_images.image_create({'name': 'func-img', 'status': 'active',
                                   'visibility': 'public', 'disk_format': 'raw',
                                   'container_format': 'bare', 'size': 4096,
                                   'owner': 'someone'})['id']


@pytest.fixture
def flavor(db_url):
    from iaas.db import flavors as db_flavors
    return db_flavors.create('func.small', 256, 1, 1, flavorid='func-1')['flavorid']


@pytest.fixture
def compute_services(conf, db_url):
    """iaas-conductor, iaas-scheduler and one iaas-compute ('fc1', fake driver) in
    this process."""
    conf.set_override('transport_url', 'memory://')
    conf.set_override('spawn_delay', 0, group='fake_driver')
    conf.set_override('report_interval', 1, group='service')
    with running(control_plane(compute=['fc1'])) as started:
        yield started


def new_instance_values(n=1, **over):
    """Rows for db.create_with_quota (as API.create builds them)."""
    out = []
    for _ in range(n):
        v = dict(uuid=str(uuid.uuid4()), project_id=PROJECT, user_id=USER,
                 display_name='raw', vm_state=states.BUILDING, task_state=states.SCHEDULING,
                 vcpus=1, memory_mb=512, root_gb=1, ephemeral_gb=0, metadata_={},
                 system_metadata={})
        v.update(over)
        out.append(v)
    return out
