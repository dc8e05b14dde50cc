#!/usr/bin/env python3
"""RPC benchmark: call latency and cast throughput between two processes.

    tools/bench/rpc.py [--transport URL ...] [--calls N] [--cast-seconds S]

For each transport (default: RabbitMQ on loopback, then filesystem://) it
starts a server process, then from this process measures the latency of
sequential calls (p50, p99) and the rate of casts sent for S seconds from
one thread, and checks that the server received every cast. Targets
(issue #2, RabbitMQ): call p50 <= 2 ms, p99 <= 10 ms; >= 3,000 casts/s.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from iaas import rpc  # noqa: E402
from iaas.conf import CONF, register_all  # noqa: E402

RABBIT = 'pyamqp://guest:guest@127.0.0.1:5672//'


class Bench:
    def __init__(self):
        self.count = 0
        self.lock = threading.Lock()

    @rpc.expose
    def echo(self, ctx, value):
        return value

    @rpc.expose
    def hit(self, ctx, n):
        with self.lock:
            self.count += 1

    @rpc.expose
    def casts_seen(self, ctx):
        return self.count


def setup(url, state, exchange):
    register_all(CONF)
    CONF([], project='iaas', default_config_files=[])
    CONF.set_override('transport_url', url)
    CONF.set_override('state_path', state)
    CONF.set_override('control_exchange', exchange)


def serve(args):
    setup(args.transport[0], args.state, args.exchange)
    server = rpc.RPCServer('bench', 'bench-host', Bench(), workers=4)
    server.start()
    server.ready.wait(30)
    print('READY', flush=True)
    sys.stdin.read()   # until the parent closes our stdin
    server.stop(timeout=5)


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def run(url, args):
    state = tempfile.mkdtemp(prefix='iaas-bench-')
    exchange = 'bench-' + uuid.uuid4().hex[:8]
    proc = subprocess.Popen([sys.executable, __file__, '--serve', '--transport', url,
                             '--state', state, '--exchange', exchange],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert 'READY' in proc.stdout.readline()
    setup(url, state, exchange)
    client = rpc.RPCClient('bench', timeout=30)
    for i in range(200):   # warm up connections and code paths
        client.call({}, 'echo', value=i)
    lat = []
    for i in range(args.calls):
        t = time.perf_counter()
        client.call({}, 'echo', value=i)
        lat.append((time.perf_counter() - t) * 1000)
    sent, start = 0, time.perf_counter()
    caster = rpc.RPCClient('bench', timeout=30)
    while time.perf_counter() - start < args.cast_seconds:
        for _ in range(100):
            caster.cast({}, 'hit', n=sent)
            sent += 1
    elapsed = time.perf_counter() - start
    deadline = time.monotonic() + 300
    seen = 0
    while time.monotonic() < deadline:
        seen = rpc.RPCClient('bench', timeout=300).call({}, 'casts_seen')
        if seen >= sent:
            break
        time.sleep(0.2)
    drained = time.perf_counter() - start
    proc.stdin.close()
    proc.wait(30)
    rpc.cleanup()
    CONF.reset()
    return {'p50': pct(lat, 50), 'p99': pct(lat, 99), 'mean': statistics.mean(lat),
            'cast_rate': sent / elapsed, 'sent': sent, 'seen': seen,
            'consume_rate': seen / drained}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--transport', action='append')
    ap.add_argument('--calls', type=int, default=2000)
    ap.add_argument('--cast-seconds', type=float, default=5.0)
    ap.add_argument('--serve', action='store_true')
    ap.add_argument('--state')
    ap.add_argument('--exchange')
    args = ap.parse_args()
    if args.serve:
        return serve(args)
    transports = args.transport or [RABBIT, 'filesystem://']
    print(f'{"transport":<14} {"call p50":>9} {"p99":>8} {"mean":>8} {"casts/s":>9} '
          f'{"received":>13} {"consumed/s":>10}')
    for url in transports:
        r = run(url, args)
        name = 'rabbitmq' if url.startswith(('pyamqp', 'amqp')) else url.split(':')[0]
        print(f'{name:<14} {r["p50"]:>7.2f}ms {r["p99"]:>6.2f}ms {r["mean"]:>6.2f}ms '
              f'{r["cast_rate"]:>9.0f} {r["seen"]:>6}/{r["sent"]:<6} {r["consume_rate"]:>10.0f}',
              flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
