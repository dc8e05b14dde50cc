"""Every built-in filter: host_passes and the bulk filter_all agree."""
import pytest

from iaas.scheduler.filters import affinity, compute, image_props, resources
from iaas.scheduler.host_state import requested_disk_gb


def check(f, host, spec, expected):
    assert f.host_passes(host, spec) is expected
    assert (f.filter_all([host], spec) == [host]) is expected


def test_compute_filter(make_host, make_spec):
    f = compute.ComputeFilter()
    spec = make_spec()
    assert f.name == 'ComputeFilter'
    check(f, make_host('a'), spec, True)
    check(f, make_host('a', service_up=False), spec, False)
    check(f, make_host('a', service_disabled=True, disabled_reason='maint'), spec, False)


def test_availability_zone_filter(make_host, make_spec):
    f = compute.AvailabilityZoneFilter()
    assert not f.applies(make_spec())
    spec = make_spec(availability_zone='az2')
    assert f.applies(spec)
    check(f, make_host('a', availability_zone='az2'), spec, True)
    check(f, make_host('a'), spec, False)
    check(f, make_host('a'), make_spec(), True)


def test_ram_filter_uses_allocation_ratio(make_host, make_spec):
    f = resources.RamFilter()
    spec = make_spec(memory_mb=2048)
    # 4096 * 1.5 - 4096 = 2048 free: exactly enough.
    check(f, make_host('a', memory_mb=4096, memory_mb_used=4096), spec, True)
    check(f, make_host('a', memory_mb=4096, memory_mb_used=4097), spec, False)
    check(f, make_host('a', memory_mb=4096, memory_mb_used=4096,
                       ram_allocation_ratio=1.0), spec, False)


def test_disk_filter_counts_root_ephemeral_and_swap(make_host, make_spec):
    f = resources.DiskFilter()
    flavor = {'vcpus': 1, 'memory_mb': 512, 'root_gb': 10, 'ephemeral_gb': 5, 'swap': 1025}
    assert requested_disk_gb(flavor) == 17        # swap 1025 MiB rounds up to 2 GiB
    spec = make_spec(flavor=flavor)
    check(f, make_host('a', local_gb=20, local_gb_used=3), spec, True)
    check(f, make_host('a', local_gb=20, local_gb_used=4), spec, False)
    check(f, make_host('a', local_gb=10, local_gb_used=3, disk_allocation_ratio=2.0), spec, True)


def test_vcpu_filter(make_host, make_spec):
    f = resources.VCPUFilter()
    spec = make_spec(vcpus=4)
    check(f, make_host('a', vcpus=4, vcpus_used=60), spec, True)       # 64 - 60 = 4
    check(f, make_host('a', vcpus=4, vcpus_used=61), spec, False)
    check(f, make_host('a', vcpus=4, vcpus_used=0, cpu_allocation_ratio=0.5), spec, False)
    # Never more vCPUs than the host has physical CPUs, whatever the ratio.
    check(f, make_host('a', vcpus=2, vcpus_used=0), spec, False)


@pytest.mark.parametrize('props,host_kw,expected', [
    ({'hw_architecture': 'x86_64'}, {}, True),
    ({'hw_architecture': 'aarch64'}, {}, False),
    ({'architecture': 'amd64'}, {}, True),                      # legacy key, alias
    ({'hw_architecture': 'arm64'}, {'architecture': 'aarch64'}, True),
    ({'img_hv_type': 'kvm'}, {'hypervisor_type': 'kvm'}, True),
    ({'img_hv_type': 'qemu'}, {'hypervisor_type': 'kvm'}, True),   # kvm runs qemu
    ({'img_hv_type': 'kvm'}, {'hypervisor_type': 'qemu'}, False),
    ({'hypervisor_type': 'QEMU'}, {'hypervisor_type': 'qemu'}, True),
    ({'img_hv_type': 'xen'}, {'hypervisor_type': 'xapi'}, True),
    ({'hw_architecture': 'x86_64', 'img_hv_type': 'fake'}, {}, True),
    ({'hw_architecture': 'x86_64', 'img_hv_type': 'kvm'}, {}, False),
])
def test_image_properties_filter(make_host, make_spec, props, host_kw, expected):
    f = image_props.ImagePropertiesFilter()
    spec = make_spec(image={'id': 'img', 'properties': props})
    assert f.applies(spec)
    check(f, make_host('a', **host_kw), spec, expected)
    # Glance v2 shows properties flat on the image: same verdict.
    flat = make_spec(image={'id': 'img', **props})
    check(f, make_host('a', **host_kw), flat, expected)


def test_image_properties_filter_skips_images_without_properties(make_host, make_spec):
    f = image_props.ImagePropertiesFilter()
    assert not f.applies(make_spec(image={'id': 'img', 'properties': {'os_distro': 'x'}}))
    check(f, make_host('a', architecture='s390x'), make_spec(image={}), True)


def test_image_properties_filter_bulk_mixed(make_host, make_spec):
    f = image_props.ImagePropertiesFilter()
    hosts = [make_host('x', architecture='x86_64', hypervisor_type='kvm'),
             make_host('y', architecture='amd64', hypervisor_type='qemu'),
             make_host('z', architecture='aarch64', hypervisor_type='kvm')]
    spec = make_spec(image={'properties': {'hw_architecture': 'x86_64',
                                           'img_hv_type': 'qemu'}})
    assert [h.host for h in f.filter_all(hosts, spec)] == ['x', 'y']


def test_affinity_filter(make_host, make_spec):
    f = affinity.ServerGroupAffinityFilter()
    assert not f.applies(make_spec())
    empty = make_spec(group={'uuid': 'g', 'policy': 'affinity', 'hosts': []})
    assert f.applies(empty)
    check(f, make_host('a'), empty, True)
    spec = make_spec(group={'uuid': 'g', 'policy': 'affinity', 'hosts': ['b']})
    check(f, make_host('a'), spec, False)
    check(f, make_host('b'), spec, True)
    legacy = make_spec(group={'uuid': 'g', 'policies': ['affinity'], 'hosts': ['b']})
    check(f, make_host('a'), legacy, False)
    # Not its policy: passes everything.
    anti = make_spec(group={'uuid': 'g', 'policy': 'anti-affinity', 'hosts': ['b']})
    assert not f.applies(anti)
    check(f, make_host('a'), anti, True)


def test_anti_affinity_filter(make_host, make_spec):
    f = affinity.ServerGroupAntiAffinityFilter()
    spec = make_spec(group={'uuid': 'g', 'policy': 'anti-affinity', 'hosts': ['b']})
    assert f.applies(spec)
    check(f, make_host('a'), spec, True)
    check(f, make_host('b'), spec, False)
    aff = make_spec(group={'uuid': 'g', 'policy': 'affinity', 'hosts': ['b']})
    assert not f.applies(aff)
    check(f, make_host('a'), aff, True)
