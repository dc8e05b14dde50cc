"""Benchmark: 1 GiB image upload and download through iaas-image (file store)
on loopback, against a plain ``cp`` of the same file on the same disk.

    .venv/bin/python tools/bench/image.py [--size-mib 1024] [--dir /tmp]

Starts real daemons as subprocesses on free ports (iaas-api for the
identity token, iaas-image), uploads a file of random bytes with
``PUT /v2/images/{id}/file`` and downloads it again to a file, then prints
MB/s of each, the ratio to ``cp`` (measured in the same run, same disk),
and the image server's peak RSS (VmHWM from /proc/<pid>/status).
"""
import argparse
import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

BIN = os.path.dirname(sys.executable)
CHUNK = 1 << 20
PASSWORD = 'bench-admin-pw'


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f'daemon exited with {proc.returncode}')
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f'nothing listens on {port}')


def write_config(workdir, ports):
    state = os.path.join(workdir, 'state')
    os.makedirs(state, exist_ok=True)
    api_ports = {k: free_port() for k in ('compute_port', 'ec2_port', 'volume_port',
                                          'network_port', 'metadata_port', 'rating_port')}
    lines = ['[DEFAULT]', 'host = bench', f'state_path = {state}',
             'transport_url = filesystem://', '', '[api]', 'listen = 127.0.0.1',
             'public_host = 127.0.0.1', f'identity_port = {ports["identity"]}']
    lines += [f'{k} = {v}' for k, v in api_ports.items()]
    lines += ['', '[identity]', 'bcrypt_rounds = 4', '', '[image]', 'listen = 127.0.0.1',
              f'port = {ports["image"]}', f'filesystem_store_datadir = {workdir}/images',
              '', '[objectstore]', f'port = {free_port()}', '',
              '[dashboard]', f'port = {free_port()}', '']
    path = os.path.join(workdir, 'iaas.conf')
    with open(path, 'w') as f:
        f.write('\n'.join(lines))
    return path


def make_file(path, size):
    h = hashlib.md5(usedforsecurity=False)
    block = os.urandom(CHUNK)
    with open(path, 'wb') as f:
        for i in range(size // CHUNK):
            # vary each block cheaply so the file does not compress or dedupe
            b = i.to_bytes(8, 'little') + block[8:]
            h.update(b)
            f.write(b)
        f.flush()
        os.fsync(f.fileno())
    return h.hexdigest()


def timed(fn):
    t = time.monotonic()
    out = fn()
    return time.monotonic() - t, out


def request(port, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=600, blocksize=CHUNK)
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r, data


def token(port):
    body = json.dumps({'auth': {'identity': {'methods': ['password'], 'password': {
        'user': {'name': 'admin', 'password': PASSWORD, 'domain': {'name': 'Default'}}}},
        'scope': {'project': {'name': 'admin', 'domain': {'name': 'Default'}}}}})
    r, data = request(port, 'POST', '/v3/auth/tokens', body,
                      {'Content-Type': 'application/json'})
    if r.status != 201:
        raise RuntimeError(f'token: {r.status} {data[:200]}')
    return r.getheader('X-Subject-Token')


def upload(port, tok, image_id, src, size):
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=600, blocksize=CHUNK)
    with open(src, 'rb') as f:
        conn.request('PUT', f'/v2/images/{image_id}/file', body=f, headers={
            'X-Auth-Token': tok, 'Content-Type': 'application/octet-stream',
            'Content-Length': str(size)})
        r = conn.getresponse()
        r.read()
    conn.close()
    if r.status != 204:
        raise RuntimeError(f'upload: {r.status}')


def download(port, tok, image_id, dst=os.devnull):
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=600)
    conn.request('GET', f'/v2/images/{image_id}/file', headers={'X-Auth-Token': tok})
    r = conn.getresponse()
    if r.status != 200:
        raise RuntimeError(f'download: {r.status}')
    buf = bytearray(CHUNK)
    mv = memoryview(buf)
    n = 0
    with open(dst, 'wb') as f:
        while True:
            got = r.readinto(mv)
            if not got:
                break
            f.write(mv[:got])
            n += got
    conn.close()
    return n, r.getheader('Content-MD5')


def cpu_seconds(pid):
    """user + system CPU time a process has used so far (all its threads)."""
    with open(f'/proc/{pid}/stat') as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def hash_floor_s_per_gib():
    """CPU seconds MD5 + SHA-512 of 1 GiB take on this machine (64 MiB sample)."""
    block = os.urandom(CHUNK)
    t = time.process_time()
    for name in ('md5', 'sha512'):
        h = hashlib.new(name)
        for _ in range(64):
            h.update(block)
    return (time.process_time() - t) * 16


def vm_hwm_kib(pid):
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1])
    return None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--size-mib', type=int, default=1024)
    ap.add_argument('--dir', default=None, help='work directory (default: a temp dir in /tmp)')
    args = ap.parse_args(argv)
    size = args.size_mib * CHUNK
    workdir = tempfile.mkdtemp(prefix='iaas-bench-image-', dir=args.dir)
    procs = []
    try:
        ports = {'identity': free_port(), 'image': free_port()}
        conf = write_config(workdir, ports)
        manage = [os.path.join(BIN, 'iaas-manage'), '--config-file', conf]
        subprocess.run(manage + ['db', 'sync'], check=True, capture_output=True)
        subprocess.run(manage + ['bootstrap', '--admin-password', PASSWORD], check=True,
                       capture_output=True)
        logs = open(os.path.join(workdir, 'daemons.log'), 'ab')
        for name, port in (('iaas-api', ports['identity']), ('iaas-image', ports['image'])):
            p = subprocess.Popen([os.path.join(BIN, name), '--config-file', conf],
                                 stdout=logs, stderr=subprocess.STDOUT)
            procs.append(p)
            wait_port(port, p)
        image_proc = procs[1]
        tok = token(ports['identity'])

        src = os.path.join(workdir, 'src.img')
        md5 = make_file(src, size)
        cp_dst = os.path.join(workdir, 'cp.img')
        cps = []
        for _ in range(3):      # cp varies a lot run to run here: take the median
            t_cp, _ = timed(lambda: subprocess.run(['cp', src, cp_dst], check=True))
            t_sync, _ = timed(lambda: os.sync())
            cps.append((t_cp, t_sync))
            os.unlink(cp_dst)
            os.sync()
        cps.sort()
        t_cp, t_sync = cps[1]

        r, data = request(ports['image'], 'POST', '/v2/images', json.dumps(
            {'name': 'bench', 'disk_format': 'raw', 'container_format': 'bare'}),
            {'X-Auth-Token': tok, 'Content-Type': 'application/json'})
        image_id = json.loads(data)['id']
        rss_before = vm_hwm_kib(image_proc.pid)
        cpu0 = cpu_seconds(image_proc.pid)
        t_up, _ = timed(lambda: upload(ports['image'], tok, image_id, src, size))
        cpu_up = cpu_seconds(image_proc.pid) - cpu0
        r, data = request(ports['image'], 'GET', f'/v2/images/{image_id}',
                          headers={'X-Auth-Token': tok})
        rec = json.loads(data)
        assert rec['status'] == 'active' and rec['checksum'] == md5, rec
        dst = os.path.join(workdir, 'download.img')
        cpu0 = cpu_seconds(image_proc.pid)
        t_down, (n, header_md5) = timed(lambda: download(ports['image'], tok, image_id, dst))
        cpu_down = cpu_seconds(image_proc.pid) - cpu0
        assert n == size and header_md5 == md5
        os.unlink(dst)
        t_null, (n, _) = timed(lambda: download(ports['image'], tok, image_id))
        assert n == size
        rss_peak = vm_hwm_kib(image_proc.pid)

        mb = size / 1e6
        print(f'image size            : {args.size_mib} MiB ({workdir})')
        print(f'cp (median of 3)      : {t_cp:6.2f} s  {mb / t_cp:8.1f} MB/s '
              f'(+ sync {t_sync:.2f} s: {mb / (t_cp + t_sync):.1f} MB/s; all: '
              f'{", ".join(f"{a:.2f}" for a, _ in cps)} s)')
        print(f'upload (PUT, fsync)   : {t_up:6.2f} s  {mb / t_up:8.1f} MB/s  '
              f'ratio to cp {t_cp / t_up:.2f}, to cp+sync {(t_cp + t_sync) / t_up:.2f}')
        print(f'download (GET → file) : {t_down:6.2f} s  {mb / t_down:8.1f} MB/s  '
              f'ratio to cp {t_cp / t_down:.2f}')
        print(f'download (GET → null) : {t_null:6.2f} s  {mb / t_null:8.1f} MB/s  '
              f'ratio to cp {t_cp / t_null:.2f}')
        gib = size / (1 << 30)
        print(f'iaas-image CPU time   : upload {cpu_up / gib:.2f} s/GiB, download '
              f'{cpu_down / gib:.2f} s/GiB (user+sys, all threads; MD5 + SHA-512 alone '
              f'take {hash_floor_s_per_gib():.2f} s/GiB here)')
        print(f'load average          : {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs')
        print(f'iaas-image peak RSS   : {rss_peak / 1024:.1f} MiB (VmHWM; '
              f'{rss_before / 1024:.1f} MiB before the transfers)')
        return 0
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
