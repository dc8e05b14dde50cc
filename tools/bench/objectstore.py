"""Benchmark: the iaas object store against OpenStack Swift (from PyPI, in
its own venv), both with 3 replicas on 3 local devices (3 storage server
processes + 1 proxy each), same machine, same run.

    .venv/bin/python tools/bench/objectstore.py [--swift-venv /tmp/swiftbench-venv]
        [--small 2000] [--concurrency 8] [--large-mib 64] [--large-count 3] [--dir /tmp]

Set the Swift venv up once with ``python3 -m venv V && V/bin/pip install swift``;
memcached (apt) is used by Swift's proxy when it is installed. Without a
Swift venv (or with --no-swift) only our figures are printed.

Prints small-object (4 KiB) PUT and GET ops/s, large-object PUT and GET
MB/s, the same for Swift, the ratios (targets, issue #13: 4 KiB PUT ≥ 3×, GET ≥ 1.5×;
64 MiB PUT ≥ 1.2×, GET ≥ 1.0×)
and the ratio to a plain local disk copy (write + fsync, read) of the same
size.
"""
import argparse
import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

BIN = os.path.dirname(sys.executable)
CHUNK = 1 << 20


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def wait_http(port, procs, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for p in procs:
            if p.poll() is not None:
                raise RuntimeError(f'{p.args} exited with {p.returncode}')
        try:
            c = http.client.HTTPConnection('127.0.0.1', port, timeout=2)
            c.request('GET', '/info')
            c.getresponse().read()
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f'port {port}')


def spawn(args, log):
    return subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)


# --- our object store ---------------------------------------------------------------
def start_ours(base, procs):
    ring = os.path.join(base, 'object.ring.json')
    tool = os.path.join(BIN, 'iaas-objectstore')
    subprocess.run([tool, 'ring', 'create', ring, '10', '3'], check=True, capture_output=True)
    log = open(os.path.join(base, 'daemons.log'), 'w')
    ports = []
    for i in range(3):
        port = free_port()
        ports.append(port)
        os.makedirs(os.path.join(base, f'node{i}', f'd{i}'))
        subprocess.run([tool, 'ring', 'add', ring, f'r1z{i + 1}-127.0.0.1:{port}/d{i}', '100'],
                       check=True, capture_output=True)
    subprocess.run([tool, 'ring', 'rebalance', ring], check=True, capture_output=True)
    for i, port in enumerate(ports):
        conf = _conf(base, f'node{i}', roles='storage', storage_port=port, ring_path=ring,
                     devices=os.path.join(base, f'node{i}'), create_ring='false')
        procs.append(spawn([tool, '--config-file', conf], log))
    pport = free_port()
    conf = _conf(base, 'proxy', roles='proxy', port=pport, ring_path=ring, create_ring='false',
                 tempauth_users='bench:bench:bench:.admin')
    procs.append(spawn([tool, '--config-file', conf], log))
    wait_http(pport, procs)
    for p in ports:
        wait_http(p, procs)
    c = http.client.HTTPConnection('127.0.0.1', pport)
    c.request('GET', '/auth/v1.0', headers={'X-Auth-User': 'bench:bench', 'X-Auth-Key': 'bench'})
    r = c.getresponse()
    r.read()
    return pport, '/v1/AUTH_bench', {'X-Auth-Token': r.getheader('X-Auth-Token')}


def _conf(base, name, **opts):
    path = os.path.join(base, f'{name}.conf')
    state = os.path.join(base, f'state-{name}')
    with open(path, 'w') as f:
        f.write(f'[DEFAULT]\nstate_path = {state}\nlog_dir = {state}/logs\n[objectstore]\n')
        for k, v in opts.items():
            f.write(f'{k} = {v}\n')
    return path


# --- OpenStack Swift ------------------------------------------------------------------
def start_swift(base, venv, procs, proxy_workers):
    sdir = os.path.join(base, 'etc')
    os.makedirs(sdir)
    with open(os.path.join(sdir, 'swift.conf'), 'w') as f:
        f.write('[swift-hash]\nswift_hash_path_suffix = bench\nswift_hash_path_prefix = bench\n'
                '[storage-policy:0]\nname = gold\ndefault = yes\n')
    builder = os.path.join(venv, 'bin', 'swift-ring-builder')
    kinds = {'object': [], 'container': [], 'account': []}
    for kind in kinds:
        b = os.path.join(sdir, f'{kind}.builder')
        subprocess.run([builder, b, 'create', '10', '3', '1'], check=True, capture_output=True)
        for i in range(3):
            port = free_port()
            kinds[kind].append(port)
            subprocess.run([builder, b, 'add', f'r1z{i + 1}-127.0.0.1:{port}/d{i}', '100'],
                           check=True, capture_output=True)
        subprocess.run([builder, b, 'rebalance'], capture_output=True)
    memcache = ''
    mc = shutil.which('memcached')
    log = open(os.path.join(base, 'swift.log'), 'w')
    if mc:
        mport = free_port()
        procs.append(spawn([mc, '-p', str(mport), '-l', '127.0.0.1', '-U', '0', '-u', 'root'],
                           log))
        memcache = f'127.0.0.1:{mport}'
    for i in range(3):
        os.makedirs(os.path.join(base, f'node{i}', f'd{i}'))
    for kind, ports in kinds.items():
        for i, port in enumerate(ports):
            conf = os.path.join(sdir, f'{kind}-{i}.conf')
            with open(conf, 'w') as f:
                f.write(f'[DEFAULT]\ndevices = {base}/node{i}\nmount_check = false\n'
                        f'bind_ip = 127.0.0.1\nbind_port = {port}\nworkers = 1\nuser = root\n'
                        f'swift_dir = {sdir}\nlog_level = WARNING\n'
                        f'[pipeline:main]\npipeline = {kind}-server\n'
                        f'[app:{kind}-server]\nuse = egg:swift#{kind}\n')
                if kind == 'object':
                    f.write('[object-replicator]\n[object-updater]\n[object-auditor]\n')
            procs.append(spawn([os.path.join(venv, 'bin', f'swift-{kind}-server'), conf], log))
    pport = free_port()
    conf = os.path.join(sdir, 'proxy.conf')
    pipeline = 'catch_errors cache proxy-server' if memcache else 'catch_errors proxy-server'
    with open(conf, 'w') as f:
        f.write(f'[DEFAULT]\nbind_ip = 127.0.0.1\nbind_port = {pport}\n'
                f'workers = {proxy_workers}\nuser = root\nswift_dir = {sdir}\nlog_level = WARNING\n'
                f'[pipeline:main]\npipeline = {pipeline}\n'
                '[app:proxy-server]\nuse = egg:swift#proxy\naccount_autocreate = true\n'
                '[filter:catch_errors]\nuse = egg:swift#catch_errors\n'
                f'[filter:cache]\nuse = egg:swift#memcache\nmemcache_servers = {memcache}\n')
    procs.append(spawn([os.path.join(venv, 'bin', 'swift-proxy-server'), conf], log))
    wait_http(pport, procs)
    for ports in kinds.values():
        for p in ports:
            wait_http(p, procs)
    return pport, '/v1/AUTH_bench', {}


# --- the workload -----------------------------------------------------------------------
def _req(conn, method, path, headers, body=None):
    conn.request(method, path, body=body, headers=headers)
    r = conn.getresponse()
    data = r.read()
    if r.status >= 300:
        raise RuntimeError(f'{method} {path}: {r.status} {data[:200]!r}')
    return data


def small(port, base, headers, n, conc, tag=''):
    data = os.urandom(4096)
    conn = http.client.HTTPConnection('127.0.0.1', port)
    _req(conn, 'PUT', f'{base}/small{tag}', headers, b'')
    names = [f'{base}/small{tag}/obj-{i:06d}' for i in range(n)]
    out = {}
    for method in ('PUT', 'GET'):
        errors = []

        def worker(slice_, method=method, errors=errors):
            c = http.client.HTTPConnection('127.0.0.1', port, timeout=60)
            try:
                for path in slice_:
                    got = _req(c, method, path, headers, data if method == 'PUT' else None)
                    if method == 'GET' and got != data:
                        raise RuntimeError(f'bad data for {path}')
            except Exception as exc:
                errors.append(exc)
        threads = [threading.Thread(target=worker, args=(names[i::conc],)) for i in range(conc)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        out[method] = n / (time.monotonic() - t0)
    return out


def large(port, base, headers, mib, count, tag=''):
    size = mib * CHUNK
    block = os.urandom(CHUNK)
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=300)
    base = f'{base}/large{tag}'
    _req(conn, 'PUT', base, headers, b'')
    t0 = time.monotonic()
    for i in range(count):
        conn.putrequest('PUT', f'{base}/obj-{i}')
        for k, v in dict(headers, **{'Content-Length': str(size)}).items():
            conn.putheader(k, v)
        conn.endheaders()
        for _ in range(mib):
            conn.send(block)
        r = conn.getresponse()
        r.read()
        if r.status != 201:
            raise RuntimeError(f'large PUT: {r.status}')
    put = size * count / (time.monotonic() - t0) / 1e6
    t0 = time.monotonic()
    for i in range(count):
        conn.request('GET', f'{base}/obj-{i}', headers=headers)
        r = conn.getresponse()
        got = 0
        while True:
            chunk = r.read(CHUNK)
            if not chunk:
                break
            got += len(chunk)
        if got != size:
            raise RuntimeError(f'large GET: {got} bytes of {size}')
    get = size * count / (time.monotonic() - t0) / 1e6
    return {'PUT': put, 'GET': get}


def raw_disk(base, mib, count):
    block = os.urandom(CHUNK)
    src = os.path.join(base, 'raw-src')
    t0 = time.monotonic()
    for i in range(count):
        with open(f'{src}{i}', 'wb') as f:
            for _ in range(mib):
                f.write(block)
            f.flush()
            os.fsync(f.fileno())
    write = mib * CHUNK * count / (time.monotonic() - t0) / 1e6
    t0 = time.monotonic()
    for i in range(count):
        with open(f'{src}{i}', 'rb') as f:
            while f.read(CHUNK):
                pass
    read = mib * CHUNK * count / (time.monotonic() - t0) / 1e6
    return {'PUT': write, 'GET': read}


def run_all(starters, args, root):
    """Start every cluster, then run the workloads in alternation (``--rounds``
    times, median kept) so both see the same machine load."""
    started, bases, procs = {}, [], []
    try:
        for name, starter in starters.items():
            base = tempfile.mkdtemp(prefix=f'bench-{name}-', dir=root)
            bases.append(base)
            started[name] = starter(base, procs)
        runs = {name: [] for name in started}
        for r in range(args.rounds):
            for name, (port, path, headers) in started.items():
                s = small(port, f'{path}', headers, args.small, args.concurrency, tag=f'r{r}')
                lg = large(port, path, headers, args.large_mib, args.large_count, tag=f'r{r}')
                runs[name].append((s, lg))
        return {name: _median(rs) for name, rs in runs.items()}
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        for base in bases:
            if os.environ.get('BENCH_KEEP'):
                print('kept', base)
            else:
                shutil.rmtree(base, ignore_errors=True)


def _median(rounds):
    def med(values):
        values = sorted(values)
        return values[len(values) // 2]
    return ({k: med([r[0][k] for r in rounds]) for k in ('PUT', 'GET')},
            {k: med([r[1][k] for r in rounds]) for k in ('PUT', 'GET')})


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--swift-venv', default='/tmp/swiftbench-venv')
    ap.add_argument('--no-swift', action='store_true')
    ap.add_argument('--small', type=int, default=2000)
    ap.add_argument('--concurrency', type=int, default=8)
    ap.add_argument('--large-mib', type=int, default=64)
    ap.add_argument('--large-count', type=int, default=3)
    ap.add_argument('--rounds', type=int, default=3,
                    help='alternating rounds per system; the median is printed')
    ap.add_argument('--swift-proxy-workers', type=int, default=os.cpu_count() or 1)
    ap.add_argument('--dir', default=tempfile.gettempdir())
    args = ap.parse_args()
    starters = {'iaas': start_ours}
    if not args.no_swift and os.path.exists(
            os.path.join(args.swift_venv, 'bin', 'swift-proxy-server')):
        starters['swift'] = lambda b, p: start_swift(b, args.swift_venv, p,
                                                     args.swift_proxy_workers)
    results = run_all(starters, args, args.dir)
    base = tempfile.mkdtemp(prefix='bench-raw-', dir=args.dir)
    try:
        raw = raw_disk(base, args.large_mib, args.large_count)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(f'objects: {args.small} x 4 KiB with {args.concurrency} clients; '
          f'{args.large_count} x {args.large_mib} MiB; 3 replicas on 3 devices, fsync on; '
          f'median of {args.rounds} alternating rounds')
    print(f'{"metric":<22}{"iaas":>12}{"swift":>12}{"ratio":>9}{"target":>8}{"vs disk":>9}')
    ours_s, ours_l = results['iaas']
    sw = results.get('swift')
    rows = [('4 KiB PUT ops/s', ours_s['PUT'], sw and sw[0]['PUT'], 3.0, None),
            ('4 KiB GET ops/s', ours_s['GET'], sw and sw[0]['GET'], 1.5, None),
            (f'{args.large_mib} MiB PUT MB/s', ours_l['PUT'], sw and sw[1]['PUT'], 1.2,
             raw['PUT']),
            (f'{args.large_mib} MiB GET MB/s', ours_l['GET'], sw and sw[1]['GET'], 1.0,
             raw['GET'])]
    for name, ours, theirs, target, disk in rows:
        ratio = f'{ours / theirs:.2f}x' if theirs else '-'
        tstr = f'{theirs:.1f}' if theirs else 'not run'
        dstr = f'{ours / disk:.2f}x' if disk else ''
        print(f'{name:<22}{ours:>12.1f}{tstr:>12}{ratio:>9}{target:>7.1f}x{dstr:>9}')
    print(f'raw disk: write+fsync {raw["PUT"]:.1f} MB/s, read {raw["GET"]:.1f} MB/s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
