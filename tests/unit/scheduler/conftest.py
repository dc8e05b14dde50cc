import pytest

from iaas.scheduler.host_state import HostState, RequestSpec


@pytest.fixture
def make_host():
    def make(name, **kw):
        kw.setdefault('vcpus', 8)
        kw.setdefault('memory_mb', 8192)
        kw.setdefault('local_gb', 100)
        return HostState(host=name, node=name, **kw)
    return make


@pytest.fixture
def make_spec():
    def make(n=1, memory_mb=1024, vcpus=1, root_gb=10, **kw):
        flavor = kw.pop('flavor', None) or {'vcpus': vcpus, 'memory_mb': memory_mb,
                                            'root_gb': root_gb, 'ephemeral_gb': 0, 'swap': 0}
        return RequestSpec(instance_uuids=[f'inst-{i}' for i in range(n)], flavor=flavor,
                           num_instances=n, **kw)
    return make
