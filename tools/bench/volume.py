"""Benchmark: block storage (issue #15).

    .venv/bin/python tools/bench/volume.py [--cycles 100] [--backends fake,file]
                                           [--bulk 100] [--image-mib 1024]

1. cycle: for each backend, the daemons as separate processes (iaas-api,
   iaas-image, iaas-scheduler, iaas-conductor, one iaas-compute with the
   fake hypervisor, one iaas-volume with that backend) over RabbitMQ and a
   fresh PostgreSQL; ``--cycles`` times create a 1 GiB volume, attach it to a
   server, detach it, delete it — each step waited for by polling the API
   every 10 ms. p50/p99 of a whole cycle and of each step.
2. bulk: ``--bulk`` thin 1 GiB volumes created at once (file backend);
   seconds until all are available (target: 100 in <= 10 s).
3. image: a volume made from a ``--image-mib`` image (half random data,
   half zeros; qcow2) by the file driver, against ``qemu-img convert`` of
   the same image to qcow2 on the same disk (target ratio >= 0.9).
4. backup and restore: see tools/bench/backup.py (MB/s against a plain read).

Prints one JSON line with every figure at the end.
"""
import argparse
import concurrent.futures
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from tests.probe.compute.helpers import Rest, start_compute_cloud  # noqa: E402
from tools.bench.boot import ms, pct  # noqa: E402

SECTIONS = {
    'fake_driver': {'spawn_delay': 0},
    'quota': {'instances': -1, 'cores': -1, 'ram': -1, 'volumes': -1, 'gigabytes': -1},
    'api': {'threads': 32, 'user_write_rate': 0},
    'service': {'report_interval': 5, 'service_down_time': 60},
}
MiB = 1 << 20


class VolumeRest:
    def __init__(self, rest, cloud):
        self.rest = rest
        self.session = rest.session
        self.base = f"http://127.0.0.1:{cloud.ports['volume_port']}/v3/{rest.project_id}"

    def call(self, method, path, body=None):
        return self.session.request(method, self.base + path, json=body, timeout=60,
                                    headers={'OpenStack-API-Version': 'volume 3.60'})

    def status(self, vid):
        r = self.call('GET', f'/volumes/{vid}')
        return 'deleted' if r.status_code == 404 else r.json()['volume']['status']

    def wait(self, vid, status, timeout=120):
        deadline = time.monotonic() + timeout
        while True:
            got = self.status(vid)
            if got == status:
                return
            if got == 'error' or time.monotonic() > deadline:
                raise RuntimeError(f'volume {vid}: {got}, waiting for {status}')
            time.sleep(0.01)


def start(work, backend):
    cc = start_compute_cloud(work, hosts=('bcmp1',), sections=SECTIONS)
    cfg = cc.cloud.host_config('bvol1', {'volume': {'enabled_backends': backend}},
                               database=False)
    cc.cloud.start('iaas-volume', config_file=cfg, wait_port=False)
    rest = Rest(cc.cloud)
    vr = VolumeRest(rest, cc.cloud)
    deadline = time.monotonic() + 60
    while vr.call('GET', '/scheduler-stats/get_pools').json().get('pools', []) == []:
        if time.monotonic() > deadline:
            raise RuntimeError('the volume host never reported its backend')
        time.sleep(0.2)
    return cc, rest, vr


def cycle_phase(rest, vr, server, n):
    steps = {'create': [], 'attach': [], 'detach': [], 'delete': [], 'cycle': []}
    for i in range(n):
        t0 = time.monotonic()
        r = vr.call('POST', '/volumes', {'volume': {'size': 1, 'name': f'cyc-{i}'}})
        assert r.status_code == 202, r.text
        vid = r.json()['volume']['id']
        vr.wait(vid, 'available')
        t1 = time.monotonic()
        r = rest.post(f'/servers/{server}/os-volume_attachments',
                      {'volumeAttachment': {'volumeId': vid}})
        assert r.status_code == 200, r.text
        vr.wait(vid, 'in-use')
        t2 = time.monotonic()
        r = rest.session.delete(f'{rest.compute}/servers/{server}/os-volume_attachments/{vid}',
                                timeout=60)
        assert r.status_code == 202, r.text
        vr.wait(vid, 'available')
        t3 = time.monotonic()
        assert vr.call('DELETE', f'/volumes/{vid}').status_code == 202
        vr.wait(vid, 'deleted')
        t4 = time.monotonic()
        for k, v in (('create', t1 - t0), ('attach', t2 - t1), ('detach', t3 - t2),
                     ('delete', t4 - t3), ('cycle', t4 - t0)):
            steps[k].append(v)
    return {f'{k}_p50_ms': ms(pct(v, 50)) for k, v in steps.items()} | \
        {f'{k}_p99_ms': ms(pct(v, 99)) for k, v in steps.items()}


def bulk_phase(vr, n):
    t0 = time.monotonic()

    def one(i):
        r = vr.call('POST', '/volumes', {'volume': {'size': 1, 'name': f'bulk-{i}'}})
        assert r.status_code == 202, r.text
        return r.json()['volume']['id']
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        ids = list(pool.map(one, range(n)))
    for vid in ids:
        vr.wait(vid, 'available', timeout=300)
    return round(time.monotonic() - t0, 2)


def image_phase(work, mib):
    """(qemu-img convert s, file driver s) for the same qcow2 image."""
    from iaas.conf import CONF, register_all
    from iaas.volume import manager
    register_all(CONF)
    CONF([], project='iaas', default_config_files=[])
    CONF.set_override('state_path', str(work / 'imgstate'))
    raw = work / 'image.raw'
    with open(raw, 'wb') as f:
        for _ in range(mib // 2):
            f.write(os.urandom(MiB))
        f.truncate(mib * MiB)
    img = work / 'image.qcow2'
    subprocess.run(['qemu-img', 'convert', '-O', 'qcow2', str(raw), str(img)], check=True)
    raw.unlink()
    size_gb = -(-mib // 1024)
    _, cls, view = manager.backend_conf('file')
    drv = cls('file', view, 'bench')
    drv.check_setup()
    base_times, ours = [], []
    for i in range(3):
        subprocess.run(['sync'])
        dst = work / f'convert-{i}.qcow2'
        t = time.monotonic()
        subprocess.run(['qemu-img', 'convert', '-f', 'qcow2', '-O', 'qcow2', str(img), str(dst)],
                       check=True)
        base_times.append(time.monotonic() - t)
        dst.unlink()
        subprocess.run(['sync'])
        vol = {'id': f'00000000-0000-4000-8000-{i:012d}', 'size': size_gb}
        t = time.monotonic()
        drv.create_volume_from_image(vol, str(img), 'qcow2')
        ours.append(time.monotonic() - t)
        drv.delete_volume(vol)
    return min(base_times), min(ours)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--cycles', type=int, default=100)
    ap.add_argument('--backends', default='fake,file')
    ap.add_argument('--bulk', type=int, default=100)
    ap.add_argument('--image-mib', type=int, default=1024)
    ap.add_argument('--skip-image', action='store_true')
    args = ap.parse_args()
    result = {}
    for backend in args.backends.split(','):
        work = pathlib.Path(tempfile.mkdtemp(prefix=f'iaas-bench-vol-{backend}-'))
        cc, rest, vr = start(work, backend)
        try:
            image = rest.upload_image('bench-img')
            flavor = rest.create_flavor('bench.vol', 64, vcpus=1, disk=1)
            r = rest.post('/servers', {'server': {'name': 'bench', 'imageRef': image,
                                                  'flavorRef': flavor, 'networks': 'none'}})
            server = r.json()['server']['id']
            deadline = time.monotonic() + 60
            while rest.get(f'/servers/{server}').json()['server']['status'] != 'ACTIVE':
                if time.monotonic() > deadline:
                    raise RuntimeError('bench server not ACTIVE')
                time.sleep(0.05)
            cyc = cycle_phase(rest, vr, server, args.cycles)
            result.update({f'{backend}_{k}': v for k, v in cyc.items()})
            print(f'[{backend}] create+attach+detach+delete over {args.cycles} cycles: '
                  f'p50 {cyc["cycle_p50_ms"]} ms, p99 {cyc["cycle_p99_ms"]} ms '
                  f'(create {cyc["create_p50_ms"]}, attach {cyc["attach_p50_ms"]}, detach '
                  f'{cyc["detach_p50_ms"]}, delete {cyc["delete_p50_ms"]} ms p50)', flush=True)
            if backend == 'file' and args.bulk:
                secs = bulk_phase(vr, args.bulk)
                result['bulk_volumes'], result['bulk_s'] = args.bulk, secs
                print(f'[{backend}] {args.bulk} thin 1 GiB volumes available after {secs} s '
                      f'(target 100 in 10 s)', flush=True)
        finally:
            cc.stop(check_logs=False)
            shutil.rmtree(work, ignore_errors=True)
    if not args.skip_image:
        work = pathlib.Path(tempfile.mkdtemp(prefix='iaas-bench-volimg-', dir=ROOT))
        try:
            base, ours = image_phase(work, args.image_mib)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        ratio = round(base / ours, 2)
        result.update(image_mib=args.image_mib, qemu_img_convert_s=round(base, 2),
                      volume_from_image_s=round(ours, 2), volume_from_image_ratio=ratio)
        print(f'volume from a {args.image_mib} MiB qcow2 image: {ours:.2f} s; qemu-img convert '
              f'of the same image {base:.2f} s; speed ratio {ratio} (target >= 0.9)',
              flush=True)
    print(json.dumps(result))


if __name__ == '__main__':
    main()
