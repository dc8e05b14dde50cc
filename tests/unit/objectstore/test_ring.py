import collections

import pytest

from iaas.objectstore import ringcmd
from iaas.objectstore.ring import Ring, RingBuilder, RingData, RingError


def _builder(n=3, part_power=8, replicas=3):
    b = RingBuilder(part_power, replicas)
    for i in range(n):
        b.add_dev('127.0.0.1', 6200 + i, f'd{i}', 100, zone=i + 1)
    b.rebalance(seed=1)
    return b


def _counts(b):
    return collections.Counter(d for row in b.r2p2d for d in row)


def test_every_partition_has_distinct_devices_and_zones():
    b = _builder(3)
    for p in range(b.parts):
        devs = {row[p] for row in b.r2p2d}
        assert len(devs) == 3
    assert _counts(b) == {0: 256, 1: 256, 2: 256}


def test_adding_a_device_moves_only_its_share():
    b = _builder(3)
    before = [list(r) for r in b.r2p2d]
    b.add_dev('127.0.0.1', 6203, 'd3', 100, zone=4)
    moved = b.rebalance(seed=2)
    counts = _counts(b)
    assert counts[3] == 192          # 256 * 3 / 4
    assert moved == 192              # exactly what the new device takes
    assert all(abs(counts[i] - 192) <= 1 for i in range(3))
    for p in range(b.parts):
        assert len({row[p] for row in b.r2p2d}) == 3
        changed = sum(before[r][p] != b.r2p2d[r][p] for r in range(3))
        assert changed <= 1


def test_weights_and_removal():
    b = _builder(4)
    b.set_weight(0, 300)
    b.rebalance(seed=3)
    counts = _counts(b)
    assert counts[0] == 256           # capped: one replica per partition
    b.remove_dev(1)
    b.rebalance(seed=4)
    assert 1 not in _counts(b)
    with pytest.raises(RingError):
        b.remove_dev(1)


def test_too_few_devices():
    b = RingBuilder(4, 3)
    b.add_dev('127.0.0.1', 6200, 'd0', 100)
    with pytest.raises(RingError):
        b.rebalance()


def test_ring_lookup_and_handoffs(tmp_path):
    b = _builder(5)
    path = str(tmp_path / 'r.json')
    b.save(path)
    ring = Ring(path)
    part, nodes = ring.get_nodes('AUTH_a', 'c', 'o')
    assert 0 <= part < 256
    assert len(nodes) == 3 and len({n['id'] for n in nodes}) == 3
    assert ring.get_nodes('AUTH_a', 'c', 'o') == (part, nodes)
    handoffs = list(ring.get_more_nodes(part))
    assert len(handoffs) == 2
    assert not {h['id'] for h in handoffs} & {n['id'] for n in nodes}
    # parts spread over the whole range
    parts = {ring.get_part('AUTH_a', 'c', f'o{i}') for i in range(2000)}
    assert len(parts) > 200


def test_ring_reloads_changed_file(tmp_path):
    path = str(tmp_path / 'r.json')
    _builder(3).save(path)
    ring = Ring(path, reload_interval=0)
    assert len(ring.devs) == 3
    b = RingData.load(path)
    b = RingBuilder(b.part_power, b.replicas, b.devs, b.r2p2d, b.version)
    b.add_dev('127.0.0.1', 6209, 'd9', 100, zone=9)
    b.rebalance()
    b.save(path)
    assert len(ring.devs) == 4


def test_ring_command(tmp_path, capsys):
    path = str(tmp_path / 'object.ring.json')
    assert ringcmd.main(['create', path, '6', '3']) == 0
    for i in range(3):
        assert ringcmd.main(['add', path, f'r1z{i + 1}-127.0.0.1:620{i}/d{i}', '100']) == 0
    assert ringcmd.main(['add', path, 'bogus', '100']) == 1
    assert ringcmd.main(['rebalance', path]) == 0
    assert ringcmd.main(['show', path]) == 0
    out = capsys.readouterr().out
    assert '64 partitions, 3 replicas, 3 devices' in out
    assert '127.0.0.1:6202' in out
    assert Ring(path).get_nodes('AUTH_x')[0] < 64
