"""Benchmark: volume backup and restore throughput (iaas/volume/backup)
against a plain sequential read of the same volume file.

    .venv/bin/python tools/bench/backup.py [--size-mib 512] [--dir /var/tmp]
        [--chunk-kib 4096] [--workers 4] [--compression zlib] [--objectstore]
        [--random 0.5] [--zeros 0.25] [--rounds 3]

Makes a volume file of ``--size-mib`` MiB in ``--dir`` (chunks of random
bytes, zeros and compressible text in the given proportions, fsynced), then
measures, each from a cold page cache when ``/proc/sys/vm/drop_caches`` is
writable (root), else warm (said in the output):

* plain read: the file read sequentially in 4 MiB blocks (the reference);
* backup (full): the engine reading the file, hashing, compressing and
  storing into the in-memory store; then an incremental backup after 1% of
  the chunks changed (it still reads and hashes the whole volume);
* backup (full, + vol. sha), memory store only: the same with
  ``volume_sha256=True`` (also the SHA-256 of the whole volume, off by
  default: what it costs);
* restore: the backup written into a new file in ``--dir`` (fsync included),
  then checked against the SHA-256 of the volume (not timed).

With ``--objectstore`` the same against a local iaas-objectstore (3 storage
processes + proxy, 3 replicas, fsync on, same disk) started by the bench
(tools/bench/objectstore.py's ``start_ours``). Prints MB/s (10^6 bytes/s of
volume size), the ratio to the plain read (target ≥ 0.5×) and the CPU
seconds per GiB this process spent; for the object store also the raw
PUT/GET rate of chunk-size objects with the same number of threads (what
the object store itself sustains on this machine: 3 replicas, fsync).
"""
import argparse
import concurrent.futures as cf
import hashlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import objectstore as osbench  # noqa: E402  (tools/bench/objectstore.py)

from iaas.volume.backup import engine as eng  # noqa: E402
from iaas.volume.backup import memory, swift  # noqa: E402

BLOCK = 4 << 20
TARGET = 0.5


def drop_caches():
    os.sync()
    try:
        with open('/proc/sys/vm/drop_caches', 'w') as f:
            f.write('3\n')
        return True
    except OSError:
        return False


def make_volume(path, mib, chunk, p_random, p_zeros, seed=42):
    rnd = random.Random(seed)
    text = b''.join(f'{i:08d} some log line, a config file, a text page\n'.encode()
                    for i in range(chunk // 40 + 1))[:chunk]
    kinds = []
    with open(path, 'wb') as f:
        for _ in range(mib * (1 << 20) // chunk):
            x = rnd.random()
            kind = 'random' if x < p_random else 'zeros' if x < p_random + p_zeros else 'text'
            kinds.append(kind)
            f.write(os.urandom(chunk) if kind == 'random' else
                    bytes(chunk) if kind == 'zeros' else text)
        f.flush()
        os.fsync(f.fileno())
    return kinds


def timed(fn):
    c0, t0 = os.times(), time.monotonic()
    out = fn()
    c1, t1 = os.times(), time.monotonic()
    return out, t1 - t0, (c1.user - c0.user) + (c1.system - c0.system)


def plain_read(path):
    def run():
        with open(path, 'rb', buffering=0) as f:
            buf = bytearray(BLOCK)
            while f.readinto(buf):
                pass
    return timed(run)


def change_chunks(path, chunk, fraction, seed=7):
    size = os.path.getsize(path)
    n = size // chunk
    rnd = random.Random(seed)
    picked = rnd.sample(range(n), max(1, int(n * fraction)))
    with open(path, 'r+b') as f:
        for i in picked:
            f.seek(i * chunk + 512)
            f.write(os.urandom(4096))
        f.flush()
        os.fsync(f.fileno())
    return len(picked)


def raw_store(name, store, args, mib=256):
    """PUT then GET ``mib`` MiB of random chunk-size objects with ``workers``
    threads straight through the store: what the store itself sustains."""
    chunk = args.chunk_kib * 1024
    n = max(1, mib * (1 << 20) // chunk)
    blobs = [os.urandom(chunk) for _ in range(min(n, 8))]
    names = [f'bench-raw/{i:08d}' for i in range(n)]
    store.ensure_container()
    with cf.ThreadPoolExecutor(args.workers) as pool:
        _, t_put, cpu_put = timed(lambda: list(pool.map(
            lambda i: store.put(names[i], blobs[i % len(blobs)]), range(n))))
        _, t_get, cpu_get = timed(lambda: list(pool.map(store.get, names)))
        list(pool.map(store.delete, names))
    return [(f'{name}: raw PUT, {n} chunk objects', t_put, cpu_put, n * chunk),
            (f'{name}: raw GET, {n} chunk objects', t_get, cpu_get, n * chunk)]


def run_store(name, store, args, vol, size, workdir, cold):
    e = eng.BackupEngine(store, chunk_size=args.chunk_kib * 1024, compression=args.compression,
                         workers=args.workers, prefix=f'bench-{name}')
    rows = []
    tag = f'{os.getpid()}-{int(time.time())}'
    with open(vol, 'rb') as f:
        vol_sha = hashlib.file_digest(f, 'sha256').hexdigest()
    cold and drop_caches()
    with open(vol, 'rb') as f:
        full, t, cpu = timed(lambda: e.backup(f'full-{tag}', f, size))
    rows.append((f'{name}: backup (full)', t, cpu, full))
    target = os.path.join(workdir, f'restore-{name}')
    cold and drop_caches()
    with open(target, 'w+b') as f:
        _, t, cpu = timed(lambda: e.restore(full['manifest'], f))
    rows.append((f'{name}: restore', t, cpu, None))
    with open(target, 'rb') as f:
        got = hashlib.file_digest(f, 'sha256').hexdigest()
    if got != vol_sha or full['sha256'] not in (None, vol_sha):
        raise SystemExit(f'{name}: restored volume differs from the backup')
    os.unlink(target)
    if name == 'memory':        # what the whole-volume SHA-256 costs
        e2 = eng.BackupEngine(store, chunk_size=args.chunk_kib * 1024,
                              compression=args.compression, workers=args.workers,
                              prefix=f'bench-{name}', volume_sha256=True)
        cold and drop_caches()
        with open(vol, 'rb') as f:
            withsha, t, cpu = timed(lambda: e2.backup(f'sha-{tag}', f, size))
        if withsha['sha256'] != vol_sha:
            raise SystemExit(f'{name}: the whole-volume SHA-256 is wrong')
        rows.append((f'{name}: backup (full, + vol. sha)', t, cpu, withsha))
        e2.delete(withsha['manifest'])
    changed = change_chunks(vol, args.chunk_kib * 1024, 0.01)
    cold and drop_caches()
    with open(vol, 'rb') as f:
        inc, t, cpu = timed(lambda: e.backup(f'inc-{tag}', f, size, parent=full))
    rows.append((f'{name}: backup (incr, {changed} chg)', t, cpu, inc))
    e.delete(inc['manifest'])
    e.delete(full['manifest'])
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--size-mib', type=int, default=512)
    ap.add_argument('--dir', default='/var/tmp',
                    help='where the volume file lives (a real disk, not tmpfs)')
    ap.add_argument('--chunk-kib', type=int, default=4096)
    ap.add_argument('--workers', type=int, default=4)
    ap.add_argument('--compression', default='zlib', choices=eng.compressions())
    ap.add_argument('--random', type=float, default=0.5, help='share of random chunks')
    ap.add_argument('--zeros', type=float, default=0.25,
                    help='share of zero chunks (the rest is compressible text)')
    ap.add_argument('--objectstore', action='store_true',
                    help='also back up to a local iaas-objectstore started by the bench')
    ap.add_argument('--warm', action='store_true', help='do not drop the page cache')
    ap.add_argument('--rounds', type=int, default=3,
                    help='rounds of every step; the median of each is printed')
    args = ap.parse_args(argv)
    workdir = tempfile.mkdtemp(prefix='bench-backup-', dir=args.dir)
    procs, raw = [], []
    try:
        vol = os.path.join(workdir, 'volume')
        kinds = make_volume(vol, args.size_mib, args.chunk_kib * 1024, args.random, args.zeros)
        size = os.path.getsize(vol)
        cold = not args.warm and drop_caches()
        stores = [('memory', memory.MemoryStore())]
        if args.objectstore:
            base = os.path.join(workdir, 'objectstore')
            os.makedirs(base)
            port, path, headers = osbench.start_ours(base, procs)
            store = swift.SwiftStore('volumebackups', auth=swift.StaticAuth(
                f'http://127.0.0.1:{port}{path}', headers['X-Auth-Token'],
                pool_size=args.workers * 2))
            raw = raw_store('objectstore', store, args)
            stores.append(('objectstore', store))
        rounds = []
        for _ in range(args.rounds):        # all steps in turn: they see the same load
            cold and drop_caches()
            _, t, cpu = plain_read(vol)
            rows = [('plain sequential read', t, cpu, None)]
            for name, store in stores:
                rows += run_store(name, store, args, vol, size, workdir, cold)
            rounds.append(rows)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(workdir, ignore_errors=True)
    mb, gib = size / 1e6, size / (1 << 30)
    print(f'volume: {args.size_mib} MiB in {args.dir} ({kinds.count("random")} random, '
          f'{kinds.count("zeros")} zero, {kinds.count("text")} text chunks of '
          f'{args.chunk_kib} KiB); compression {args.compression}, {args.workers} workers; '
          f'page cache {"dropped before each step" if cold else "WARM (not dropped)"}; '
          f'{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}')
    print(f'{"step (median of " + str(args.rounds) + ")":<34}{"s":>8}{"MB/s":>9}'
          f'{"vs read":>9}{"target":>8}{"CPU s/GiB":>11}{"stored MB":>11}')
    rows = [sorted((r[i] for r in rounds), key=lambda row: row[1])[len(rounds) // 2]
            for i in range(len(rounds[0]))]
    read_mbs = mb / rows[0][1]
    for name, t, cpu, res in rows:
        stored = f'{res["stored_bytes"] / 1e6:.1f}' if res else ''
        target = f'{TARGET:>7.1f}x' if res is not None or 'restore' in name else ''
        print(f'{name:<34}{t:>8.2f}{mb / t:>9.1f}{mb / t / read_mbs:>8.2f}x{target:>8}'
              f'{cpu / gib:>11.2f}{stored:>11}')
    for name, t, cpu, nbytes in raw:
        print(f'{name:<34}{t:>8.2f}{nbytes / 1e6 / t:>9.1f}{"":>9}{"":>8}'
              f'{cpu / (nbytes / (1 << 30)):>11.2f}{nbytes / 1e6:>11.1f}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
