"""Weighers: raw values and Nova-style 0..1 normalisation."""
from iaas.scheduler import weighers


def test_normalize():
    assert weighers.normalize([]) == []
    assert weighers.normalize([5, 5, 5]) == [0.0, 0.0, 0.0]
    assert weighers.normalize([0, 5, 10]) == [0.0, 0.5, 1.0]
    assert weighers.normalize([2, 4], minval=0, maxval=8) == [0.25, 0.5]


def test_raw_values_match_host_state(make_host, make_spec):
    spec = make_spec()
    hosts = [make_host('a', memory_mb=4096, memory_mb_used=1000, vcpus=4, vcpus_used=3,
                       local_gb=50, local_gb_used=20),
             make_host('b')]
    for cls, prop in [(weighers.RAMWeigher, 'free_ram_mb'),
                      (weighers.VCPUWeigher, 'free_vcpus'),
                      (weighers.DiskWeigher, 'free_disk_gb')]:
        w = cls()
        assert w.weigh_all(hosts, spec) == [getattr(h, prop) for h in hosts]
        assert [w.weigh_object(h, spec) for h in hosts] == w.weigh_all(hosts, spec)
    assert weighers.RAMWeigher().weigh_all(hosts[:1], spec) == [4096 * 1.5 - 1000]


def test_multiplier_and_name():
    w = weighers.RAMWeigher(-2)
    assert w.multiplier == -2.0 and w.name == 'RAMWeigher'
    assert w.multiplier_opt == 'ram_weight_multiplier'
