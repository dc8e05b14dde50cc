"""Benchmark: API request to the guest's console marker, against a bare
``qemu-system-x86_64`` boot of the same image to the same marker, measured
side by side (alternating rounds) in one run; then five servers requested
at once, all of which must reach their marker.

    .venv/bin/python tools/bench/libvirt_boot.py [--rounds 3] [--burst 5]

Needs root, libvirtd (started if not running), PostgreSQL and RabbitMQ as
for the probe tests. Starts iaas-api, iaas-image, iaas-scheduler and one
iaas-compute (``compute_driver = libvirt``, ``max_concurrent_builds = 2``)
as subprocesses; the image is cached by a warm-up boot first, so the
figures are "with the image cached". The API time runs from the POST
/servers request until the marker line appears in the guest's console log
(polled every 20 ms); the bare time from starting qemu until the marker
appears on its serial output. Same accelerator (TCG unless KVM is usable),
memory, disk (qcow2 overlay over the image) and config drive.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from iaas.compute.virt.libvirt import config as lv_config  # noqa: E402
from iaas.compute.virt.libvirt import configdrive  # noqa: E402
from tests.probe.compute.helpers import Rest, start_compute_cloud  # noqa: E402
from tests.probe.libvirt.conftest import GuestEnv, libvirt, start_libvirtd  # noqa: E402

MARKER = b'IAAS-TEST-IMAGE-BOOTED'
IMAGE = '/tmp/iaas-test-image/busybox.qcow2'


def build_image():
    subprocess.run([os.path.join(ROOT, 'tools', 'build-test-image.sh'), IMAGE], check=True,
                   stdout=subprocess.DEVNULL)


def bare_boot(workdir, accel, timeout=300):
    """Seconds from starting qemu to the marker on its serial console."""
    uid = str(uuid.uuid4())
    disk = os.path.join(workdir, f'bare-{uid}.qcow2')
    iso = os.path.join(workdir, f'bare-{uid}.iso')
    subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', '-b', IMAGE, '-F', 'qcow2',
                    disk], check=True)
    configdrive.make_drive(iso, {'uuid': uid, 'hostname': 'bare'})
    cmd = ['qemu-system-x86_64', '-machine', f'pc,accel={accel}', '-m', '128', '-smp', '1',
           '-nodefaults', '-display', 'none', '-no-user-config', '-serial', 'stdio',
           '-drive', f'file={disk},if=virtio,format=qcow2,cache=writeback',
           '-drive', f'file={iso},if=virtio,format=raw,readonly=on']
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    buf = b''
    try:
        while MARKER not in buf:
            chunk = proc.stdout.read1(4096)
            if not chunk or time.monotonic() - t0 > timeout:
                raise RuntimeError('bare qemu did not print the marker')
            buf += chunk
        return time.monotonic() - t0
    finally:
        proc.kill()
        proc.wait()
        for p in (disk, iso):
            os.unlink(p)


def wait_marker(env, uid, t0, timeout=300):
    path = os.path.join(env.instances_path, uid, 'console.log')
    while time.monotonic() - t0 < timeout:
        try:
            with open(path, 'rb') as f:
                if MARKER in f.read():
                    return time.monotonic() - t0
        except FileNotFoundError:
            pass
        time.sleep(0.02)
    raise RuntimeError(f'server {uid} did not print the marker in {timeout}s')


def create(rest, name, image_id, flavor_id):
    r = rest.post('/servers', {'server': {'name': name, 'imageRef': image_id,
                                          'flavorRef': flavor_id, 'networks': 'none'}})
    assert r.status_code == 202, r.text
    return r.json()['server']['id']


def delete_all(rest, env, timeout=120):
    for s in rest.get('/servers').json()['servers']:
        rest.delete(f'/servers/{s["id"]}')
    end = time.monotonic() + timeout
    while rest.get('/servers').json()['servers'] or env.domains():
        if time.monotonic() > end:
            raise RuntimeError('servers not deleted')
        time.sleep(0.2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--burst', type=int, default=5)
    ap.add_argument('--boot-wait', action='store_true',
                    help='set [libvirt] boot_wait_pattern to the marker, so at most '
                         'max_concurrent_builds (2) guests boot at once')
    args = ap.parse_args()
    build_image()
    start_libvirtd()
    env = GuestEnv(libvirt.open('qemu:///system'))
    tmp = tempfile.mkdtemp(prefix='bench-libvirt-')
    from pathlib import Path
    cc = start_compute_cloud(Path(tmp), hosts=('cmp1',), sections={
        'compute': {'compute_driver': 'libvirt', 'instances_path': env.instances_path,
                    'max_concurrent_builds': 2},
        'libvirt': dict({'domain_prefix': env.prefix},
                        **({'boot_wait_pattern': MARKER.decode()} if args.boot_wait else {}))})
    accel = 'kvm' if lv_config.kvm_usable() else 'tcg'
    result = {'accel': accel, 'boot_wait': args.boot_wait}
    try:
        rest = Rest(cc.cloud)
        img = json.loads(subprocess.run(
            [os.path.join(os.path.dirname(sys.executable), 'openstack'), 'image', 'create',
             '--disk-format', 'qcow2', '--container-format', 'bare', '--public',
             '--file', IMAGE, 'busybox', '-f', 'json'], env=cc.cloud.env(), check=True,
            capture_output=True, text=True).stdout)['id']
        flavor = rest.create_flavor('bench.nano', 128, 1, 1)
        # warm-up: caches the image on the host
        uid = create(rest, 'warm', img, flavor)
        result['first_boot_uncached_s'] = round(wait_marker(env, uid, time.monotonic()), 2)
        delete_all(rest, env)

        api, bare = [], []
        for i in range(args.rounds):
            bare.append(bare_boot(env.instances_path, accel))
            t0 = time.monotonic()
            uid = create(rest, f'b{i}', img, flavor)
            api.append(wait_marker(env, uid, t0))
            delete_all(rest, env)
            print(f'round {i}: api {api[-1]:.2f}s bare {bare[-1]:.2f}s', file=sys.stderr)
        result.update({'api_to_marker_s': [round(x, 2) for x in api],
                       'bare_qemu_to_marker_s': [round(x, 2) for x in bare],
                       'median_overhead_s': round(statistics.median(api)
                                                  - statistics.median(bare), 2)})

        t0 = time.monotonic()
        uids = [create(rest, f'burst{i}', img, flavor) for i in range(args.burst)]
        times = sorted(round(wait_marker(env, u, t0, timeout=600), 2) for u in uids)
        states = [rest.server(u)['status'] for u in uids]
        result.update({'burst': args.burst, 'burst_markers_s': times,
                       'burst_statuses': states})
        delete_all(rest, env, timeout=300)
    finally:
        cc.stop(check_logs=False)
        env.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(result, indent=1))


if __name__ == '__main__':
    main()
