"""Front-end QoS on a real guest (libvirt + TCG): a file volume attached
with ``qos_specs`` in its connection_info gets the limits as the disk's
``<iotune>`` (what ``virsh blkdeviotune`` shows), live and persistent."""
import pytest

from tests.probe.libvirt.conftest import libvirt
from tests.probe.libvirt.test_driver_guests import instance, wait_markers
from tests.probe.libvirt.test_volumes import (  # noqa: F401 (fixtures)
    MiB,
    drv,
    file_ci,
    new_volume,
    vol_dir,
    wait_disk,
)

pytestmark = pytest.mark.slow
QOS = {'total_bytes_sec': '10485760', 'read_iops_sec': '300', 'write_iops_sec': '200',
       'read_iops_sec_max': '600', 'size_iops_sec': '4096', 'vendor_key': 'ignored'}


def test_iotune_of_an_attached_volume(drv, guest_env, vol_dir):  # noqa: F811
    vol_id, path = new_volume(vol_dir, 16 * MiB)
    ci = file_ci(path)
    ci['data']['qos_specs'] = QOS
    vm = instance('vm-qos')
    drv.spawn(None, vm, {'id': 'img-busybox'})
    wait_markers(drv, vm, 1)
    assert drv.attach_volume(None, vm, ci, None, vol_id) == '/dev/vdb'
    wait_disk(drv, vm, vol_id[:20])
    dom = guest_env.domain(vm['uuid'])
    for flags in (libvirt.VIR_DOMAIN_AFFECT_LIVE, libvirt.VIR_DOMAIN_AFFECT_CONFIG):
        tune = dom.blockIoTune('vdb', flags)       # virsh blkdeviotune <dom> vdb
        assert (tune['total_bytes_sec'], tune['read_iops_sec'], tune['write_iops_sec'],
                tune['read_iops_sec_max'], tune['size_iops_sec']) == \
            (10485760, 300, 200, 600, 4096), (flags, tune)
        assert tune['total_iops_sec'] == 0 and tune['read_bytes_sec'] == 0
    drv.detach_volume(None, vm, ci, '/dev/vdb', vol_id)
    wait_disk(drv, vm, vol_id[:20], present=False)
    drv.destroy(None, vm)
