"""Benchmark: the compute control plane with the fake hypervisor.

    .venv/bin/python tools/bench/boot.py [--latency-n 100] [--total 1000]
                                         [--concurrency 50] [--hosts 1]

Starts iaas-api, iaas-image, iaas-scheduler, iaas-conductor and ``--hosts`` iaas-compute
(fake driver, zero spawn delay, capacity far beyond the run) as separate
processes over real RabbitMQ and a fresh PostgreSQL database (the probe
helpers in tests/probe/compute/helpers.py), quotas unlimited. Then:

1. latency: ``--latency-n`` servers created one after the other; each time
   from just before ``POST /servers`` to the instance's ``launched_at``
   (written in the same update that makes it ACTIVE; the client polls
   ``GET /servers/{id}`` every 10 ms to know when to go on). p50/p99.
2. throughput: ``--total`` servers created by ``--concurrency`` client
   threads (one keep-alive session each); time from the first POST until
   the last one is ACTIVE (max ``launched_at``, read from the database,
   so polling does not load the API), and POST latency percentiles.
3. ``GET /servers/detail`` (default page: up to 1,000 servers) 20 times,
   one after the other: p50/p99.

Targets (issue #5): p50 <= 150 ms, p99 <= 500 ms; 1,000 ACTIVE within 60 s;
detail <= 250 ms. Prints one JSON line with every figure at the end.
"""
import argparse
import concurrent.futures
import datetime
import json
import os
import pathlib
import shutil
import statistics
import sys
import tempfile
import threading
import time

import requests
import sqlalchemy as sa

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from tests.probe.compute.helpers import Rest, start_compute_cloud  # noqa: E402

BIG = {
    'fake_driver': {'spawn_delay': 0, 'vcpus': 100000, 'memory_mb': 100_000_000,
                    'local_gb': 10_000_000},
    'quota': {'instances': -1, 'cores': -1, 'ram': -1},
    'compute': {'max_concurrent_builds': 20, 'resource_report_interval': 30,
                'sync_power_state_interval': 600, 'reap_interval': 10},
    'service': {'report_interval': 10, 'service_down_time': 60},
    # The control plane's own speed: one user's 1,000 creates would otherwise
    # meet the per-user write rate limit ([api] user_write_rate), by design.
    'api': {'threads': 32, 'user_write_rate': 0},
}


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(p / 100 * len(s) + 0.5)) - 1))]


def ms(v):
    return round(v * 1000, 1)


def utcnow():
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def parse_ts(s):
    return datetime.datetime.fromisoformat(s).replace(tzinfo=None)


def body(name, image, flavor):
    return {'server': {'name': name, 'imageRef': image, 'flavorRef': flavor,
                       'networks': 'none'}}


def latency_phase(rest, image, flavor, n):
    out = []
    for i in range(n):
        t0 = utcnow()
        r = rest.post('/servers', body(f'lat-{i}', image, flavor))
        assert r.status_code == 202, r.text
        sid = r.json()['server']['id']
        deadline = time.monotonic() + 30
        while True:
            s = rest.get(f'/servers/{sid}').json()['server']
            if s['status'] == 'ACTIVE':
                break
            if s['status'] == 'ERROR' or time.monotonic() > deadline:
                raise RuntimeError(f'server {sid}: {s["status"]} {s.get("fault")}')
            time.sleep(0.01)
        out.append((parse_ts(s['OS-SRV-USG:launched_at']) - t0).total_seconds())
    return out


def throughput_phase(cloud, rest, image, flavor, total, concurrency, db_url):
    headers = dict(rest.session.headers)
    counter = iter(range(total))
    lock = threading.Lock()
    post_times, failures = [], []

    def worker():
        sess = requests.Session()
        sess.headers.update(headers)
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            t = time.monotonic()
            r = sess.post(f'{rest.compute}/servers', json=body(f'tp-{i}', image, flavor),
                          timeout=60)
            post_times.append(time.monotonic() - t)
            if r.status_code != 202:
                failures.append(r.text[:200])

    engine = sa.create_engine(db_url)
    start = utcnow()
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        for f in [pool.submit(worker) for _ in range(concurrency)]:
            f.result()
    posted = time.monotonic() - t0
    q = sa.text("SELECT count(*) FILTER (WHERE vm_state = 'active'), "
                "count(*) FILTER (WHERE vm_state = 'error'), max(launched_at) "
                "FROM instances WHERE deleted = 0 AND display_name LIKE 'tp-%'")
    deadline = time.monotonic() + 300
    while True:
        with engine.connect() as c:
            active, error, last = c.execute(q).one()
        if active + error >= total - len(failures) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    engine.dispose()
    all_active = (last - start).total_seconds() if last else None
    return {'posted_s': round(posted, 2), 'active': active, 'error': error,
            'post_failures': len(failures), 'all_active_s': round(all_active, 2)
            if all_active is not None else None,
            'post_p50_ms': ms(pct(post_times, 50)), 'post_p99_ms': ms(pct(post_times, 99)),
            'failure_sample': failures[:3]}


def detail_phase(rest, rounds=20):
    times, count = [], None
    for _ in range(rounds):
        t = time.monotonic()
        r = rest.get('/servers/detail')
        times.append(time.monotonic() - t)
        assert r.status_code == 200, r.text[:300]
        count = len(r.json()['servers'])
    return times, count


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--latency-n', type=int, default=100)
    ap.add_argument('--total', type=int, default=1000)
    ap.add_argument('--concurrency', type=int, default=50)
    ap.add_argument('--hosts', type=int, default=1)
    ap.add_argument('--keep', action='store_true', help='keep the work dir (logs)')
    args = ap.parse_args()

    work = pathlib.Path(tempfile.mkdtemp(prefix='iaas-bench-boot-'))
    hosts = tuple(f'bench{i + 1}' for i in range(args.hosts))
    cc = start_compute_cloud(work, hosts=hosts, sections=BIG)
    result = {'hosts': args.hosts}
    try:
        rest = Rest(cc.cloud)
        image = rest.upload_image('bench-img')
        flavor = rest.create_flavor('bench.tiny', 64, vcpus=1, disk=1)
        db_url = cc.cloud.config_args['db_url']

        lat = latency_phase(rest, image, flavor, args.latency_n)
        result.update(latency_n=len(lat), latency_p50_ms=ms(pct(lat, 50)),
                      latency_p99_ms=ms(pct(lat, 99)), latency_max_ms=ms(max(lat)),
                      latency_mean_ms=ms(statistics.mean(lat)))
        print(f'API request -> ACTIVE over {len(lat)} servers: p50 {result["latency_p50_ms"]} '
              f'ms, p99 {result["latency_p99_ms"]} ms (target 150 / 500)', flush=True)

        tp = throughput_phase(cc.cloud, rest, image, flavor, args.total, args.concurrency,
                              db_url)
        result.update({f'throughput_{k}': v for k, v in tp.items()})
        print(f'{args.total} servers at concurrency {args.concurrency}: POSTs done in '
              f'{tp["posted_s"]} s (POST p50 {tp["post_p50_ms"]} ms, p99 '
              f'{tp["post_p99_ms"]} ms); {tp["active"]} ACTIVE, {tp["error"]} ERROR, '
              f'{tp["post_failures"]} refused; all ACTIVE after {tp["all_active_s"]} s '
              f'(target 60)', flush=True)

        det, count = detail_phase(rest)
        result.update(detail_servers=count, detail_p50_ms=ms(pct(det, 50)),
                      detail_p99_ms=ms(pct(det, 99)))
        print(f'GET /servers/detail ({count} servers): p50 {result["detail_p50_ms"]} ms, '
              f'p99 {result["detail_p99_ms"]} ms (target 250)', flush=True)
    finally:
        cc.stop(check_logs=False)
        if args.keep:
            print(f'work dir (logs): {work}')
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result))


if __name__ == '__main__':
    main()
