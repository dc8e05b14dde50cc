"""Front-end QoS: the specs an attachment's connection_info carries
(consumer, per-GB scaling) and the ``<iotune>`` libvirt gets from them."""
import xml.etree.ElementTree as ET

import pytest

from iaas.common import qos

FILE_CI = {'driver_volume_type': 'file', 'data': {'path': '/v/vol-1', 'format': 'raw'}}


@pytest.mark.parametrize('consumer', ['front-end', 'both'])
def test_front_end_and_both_reach_the_connection_info(consumer):
    specs = {'total_iops_sec': '500', 'read_bytes_sec': '1048576', 'other': 'x'}
    assert qos.front_end(consumer, specs, 10) == specs


@pytest.mark.parametrize('consumer,specs', [('back-end', {'total_iops_sec': '5'}),
                                            (None, None), ('both', {})])
def test_back_end_or_nothing_is_none(consumer, specs):
    assert qos.front_end(consumer, specs, 10) is None


def test_per_gb_keys_are_scaled_by_the_size():
    specs = {'total_iops_sec_per_gb': '20', 'read_bytes_sec_per_gb': '1000',
             'write_iops_sec_per_gb': '3', 'write_iops_sec_per_gb_min': '100',
             'total_iops_sec': '1'}       # the per-GB form replaces the plain one
    out = qos.front_end('front-end', specs, 10)
    assert out == {'total_iops_sec': '200', 'read_bytes_sec': '10000',
                   'write_iops_sec': '100'}
    assert specs['total_iops_sec'] == '1'          # the type's own specs untouched
    assert qos.front_end('both', {'read_iops_sec_per_gb': 'lots'}, 5) is None


def test_iotune_keeps_what_libvirt_knows():
    got = qos.iotune({'total_bytes_sec': '100', 'read_iops_sec': 7, 'write_iops_sec': '8',
                      'total_iops_sec_max': '900', 'size_iops_sec': '4096',
                      'bogus': '1', 'read_bytes_sec': '-5', 'write_bytes_sec': 'x'})
    assert got == {'total_bytes_sec': 100, 'read_iops_sec': 7, 'write_iops_sec': 8,
                   'total_iops_sec_max': 900, 'size_iops_sec': 4096}
    # libvirt refuses total with read/write of the same kind: total wins
    assert qos.iotune({'total_iops_sec': '10', 'read_iops_sec': '5',
                       'read_bytes_sec': '3'}) == {'total_iops_sec': 10, 'read_bytes_sec': 3}
    assert qos.iotune(None) == {} and qos.iotune(['x']) == {}


def _disk(data):
    volume = pytest.importorskip('iaas.compute.virt.libvirt.volume')
    ci = {**FILE_CI, 'data': {**FILE_CI['data'], **data}}
    return ET.fromstring(volume.disk_xml(ci, 'vdb', 'vol-1', cache_probe=lambda p: 'none'))


def test_disk_xml_has_the_iotune_of_the_qos_specs():
    d = _disk({'qos_specs': {'total_bytes_sec': '1048576', 'read_iops_sec': '300',
                             'write_iops_sec': '200', 'read_iops_sec_max': '600',
                             'size_iops_sec': '8192', 'consumer': 'front-end'}})
    tune = d.find('iotune')
    assert {c.tag: c.text for c in tune} == {
        'total_bytes_sec': '1048576', 'read_iops_sec': '300', 'write_iops_sec': '200',
        'read_iops_sec_max': '600', 'size_iops_sec': '8192'}
    # libvirt's element order: the limits, then the bursts, then size_iops_sec
    assert [c.tag for c in tune] == ['total_bytes_sec', 'read_iops_sec', 'write_iops_sec',
                                     'read_iops_sec_max', 'size_iops_sec']
    # the disk's other parts are as without QoS, the alias stays last
    assert [c.tag for c in d][-2:] == ['iotune', 'alias']


@pytest.mark.parametrize('specs', [None, {}, {'bogus': '1'}, {'consumer': 'both'}])
def test_no_iotune_without_limits(specs):
    assert _disk({'qos_specs': specs}).find('iotune') is None
