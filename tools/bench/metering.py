"""Benchmark: what metering costs the boot path.

    .venv/bin/python tools/bench/metering.py [--boots 60]

Two compute clouds side by side (tests/probe/compute/helpers.py: iaas-api,
iaas-image, iaas-scheduler, iaas-conductor and one iaas-compute with the
fake driver, as processes over RabbitMQ and a fresh PostgreSQL database
each): one with ``[notifications] driver = noop`` (nothing emitted), one
emitting usage events to its own ``iaas-billing`` daemon. Boots alternate
between them; each is timed from just before ``POST /servers`` to the
server's ``launched_at`` (as tools/bench/boot.py). Prints p50/p99 of both
and the ratio (target: 1.0 within noise — events are casts from a
background sender), then how many events billing stored.
"""
import argparse
import json
import os
import pathlib
import shutil
import sys
import tempfile
import time

import sqlalchemy as sa

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import boot  # noqa: E402

from tests.probe.compute.helpers import Rest, start_compute_cloud  # noqa: E402


def _cloud(work, name, driver):
    sections = dict(boot.BIG, notifications={'driver': driver})
    cc = start_compute_cloud(work / name, hosts=(f'{name}1',), sections=sections)
    if driver == 'messaging':
        cc.cloud.start('iaas-billing', wait_port=False)
    rest = Rest(cc.cloud)
    return cc, rest, rest.upload_image('bench-img'), rest.create_flavor('bench.tiny', 64,
                                                                        vcpus=1, disk=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--boots', type=int, default=60)
    args = ap.parse_args()
    work = pathlib.Path(tempfile.mkdtemp(prefix='iaas-bench-metering-'))
    (work / 'quiet').mkdir()
    (work / 'metered').mkdir()
    clouds = []
    result = {'boots': args.boots}
    try:
        clouds.append(_cloud(work, 'quiet', 'noop'))
        clouds.append(_cloud(work, 'metered', 'messaging'))
        times = {'quiet': [], 'metered': []}
        for _ in range(args.boots):
            for name, (_cc, rest, image, flavor) in zip(('quiet', 'metered'), clouds,
                                                         strict=True):
                times[name] += boot.latency_phase(rest, image, flavor, 1)
        for name, values in times.items():
            result[f'{name}_p50_ms'] = boot.ms(boot.pct(values, 50))
            result[f'{name}_p99_ms'] = boot.ms(boot.pct(values, 99))
        result['metered_vs_quiet_p50'] = round(boot.pct(times['metered'], 50) /
                                               boot.pct(times['quiet'], 50), 3)
        engine = sa.create_engine(clouds[1][0].cloud.config_args['db_url'])
        deadline = time.monotonic() + 30
        with engine.connect() as c:
            while True:
                stored = c.execute(sa.text('SELECT count(*) FROM billing_events')).scalar()
                if stored >= args.boots or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
                c.rollback()
        engine.dispose()
        result['billing_events_stored'] = stored
        print(f'request -> ACTIVE over {args.boots} boots each: without metering p50 '
              f'{result["quiet_p50_ms"]} ms p99 {result["quiet_p99_ms"]} ms; with metering '
              f'p50 {result["metered_p50_ms"]} ms p99 {result["metered_p99_ms"]} ms; ratio '
              f'{result["metered_vs_quiet_p50"]}; billing stored {stored} events '
              f'(>= {args.boots} create events expected)', flush=True)
    finally:
        for cc, *_ in clouds:
            cc.stop(check_logs=False)
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result))


if __name__ == '__main__':
    main()
