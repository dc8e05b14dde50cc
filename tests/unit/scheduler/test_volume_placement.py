"""Which backends can take a volume, best first (iaas.scheduler.volumes)."""
from iaas.scheduler import volumes


def _b(name, total=100.0, allocated=0, thin=True, ratio=20.0, reserved=0, az='nova',
       protocol='file'):
    host, backend = name.split('@')
    return {'name': name, 'host': host, 'backend_name': backend, 'total_gb': total,
            'allocated_gb': allocated, 'thin': thin, 'max_over_subscription_ratio': ratio,
            'reserved_percentage': reserved, 'availability_zone': az, 'protocol': protocol}


def test_room_orders_and_limits():
    bs = [_b('h1@a', total=10, thin=False, allocated=5), _b('h2@b', total=10)]
    got = volumes.candidates(bs, 5)
    assert [b['name'] for b in got] == ['h2@b', 'h1@a']        # 195 GiB room vs 5
    assert [b['name'] for b in volumes.candidates(bs, 6)] == ['h2@b']
    assert volumes.candidates(bs, 201) == []


def test_reserved_percentage_and_ratio():
    b = _b('h@a', total=100, ratio=2.0, reserved=50, allocated=99)
    assert volumes.candidates([b], 1) and not volumes.candidates([b], 2)


def test_filters():
    bs = [_b('h1@fast', az='z1', protocol='iscsi'), _b('h2@slow', az='z2')]
    names = lambda got: [b['name'] for b in got]   # noqa: E731
    assert names(volumes.candidates(bs, 1, availability_zone='z2')) == ['h2@slow']
    assert names(volumes.candidates(bs, 1, extra_specs={'volume_backend_name': 'fast'})) \
        == ['h1@fast']
    assert names(volumes.candidates(bs, 1, extra_specs={'storage_protocol': 'iSCSI'})) \
        == ['h1@fast']
    assert names(volumes.candidates(bs, 1, up_hosts={'h2'})) == ['h2@slow']
    assert names(volumes.candidates(bs, 1, ignore={'h1@fast'})) == ['h2@slow']
    assert volumes.candidates(bs, 1, extra_specs={'volume_backend_name': 'none'}) == []
