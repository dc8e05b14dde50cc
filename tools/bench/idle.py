#!/usr/bin/env python3
"""Idle all-in-one benchmark: CPU an idle ``iaas-all`` burns, its threads, and
RPC call latency on its filesystem bus.

    tools/bench/idle.py [--seconds 60] [--settle 15] [--calls 300] [--base REF]

Starts ``iaas-all`` the way ``make run`` does (etc/iaas-allinone.conf's
embedded defaults: SQLite, the filesystem bus) but with the fake compute
driver, its own free ports and a temporary state directory; waits until it
prints ``ready``, lets it settle, then samples ``utime + stime`` of
``/proc/PID/stat`` over ``--seconds`` while nothing talks to it. Then it
measures ``ping`` calls to the scheduler: from inside the process (the
all-in-one's own path, API to scheduler) and from this process on the same
bus folder (a second process, e.g. ``iaas-manage``, or daemons run apart).

The CPU per thread comes from ``/proc/PID/task/*/stat``; the all-in-one is
started with its Python thread names given to the kernel (``prctl``), so the
table names them (first 15 characters). Target (issue #19): under 1 % of a
core idle, call p50 not slower than before.

``--base REF`` runs the same measurement on the tree of git ref REF too
(exported with ``git archive`` into a temporary folder, run with PYTHONPATH
pointing at it; the venv is shared) and prints both side by side. The last
line printed is one JSON object with the figures (tools/bench/compare.py
reads it).
"""
import argparse
import collections
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)
from tests.probe.fixtures import free_ports, port_options, write_config  # noqa: E402

TICK = os.sysconf('SC_CLK_TCK')

# Run inside the all-in-one (python -c): kernel thread names for the per-thread
# table, and a pinger thread that blocks on a FIFO (no CPU while idle), makes N
# in-process ping calls when asked and writes their latencies back.
WRAPPER = r'''
import ctypes, json, os, sys, threading, time
_prctl = ctypes.CDLL(None).prctl
_inner = threading.Thread._bootstrap_inner
def _named(self):
    try:
        _prctl(15, self.name.encode()[:15], 0, 0, 0)
    except Exception:
        pass
    _inner(self)
threading.Thread._bootstrap_inner = _named
def _pinger(ask, answer):
    while True:
        with open(ask) as f:
            n = int(f.read().strip() or 0)
        from iaas import rpc
        client = rpc.RPCClient('scheduler', timeout=30)
        lat = []
        for _ in range(n):
            t = time.perf_counter()
            client.call({}, 'ping')
            lat.append((time.perf_counter() - t) * 1000)
        with open(answer, 'w') as f:
            f.write(json.dumps(lat))
threading.Thread(target=_pinger, args=sys.argv[1:3], name='bench-pinger', daemon=True).start()
del sys.argv[1:3]
from iaas.cmd.all import main
sys.exit(main())
'''


def write_conf(state):
    names = port_options()
    return str(write_config(os.path.join(state, 'idle.conf'), os.path.join(state, 'state'),
                            ports=dict(zip(names, free_ports(len(names)), strict=True)),
                            host='bench-idle', sections={'compute': {'compute_driver': 'fake'}}))


def cpu_ticks(pid):
    with open(f'/proc/{pid}/stat') as f:
        fields = f.read().rpartition(')')[2].split()
    return int(fields[11]) + int(fields[12])   # utime, stime


def thread_ticks(pid):
    out = {}
    for tid in os.listdir(f'/proc/{pid}/task'):
        try:
            with open(f'/proc/{pid}/task/{tid}/stat') as f:
                head, _, rest = f.read().rpartition(')')
            fields = rest.split()
            out[tid] = (head.partition('(')[2], int(fields[11]) + int(fields[12]))
        except (FileNotFoundError, ProcessLookupError):
            continue
    return out


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def start(tree, state):
    conf = write_conf(state)
    ask, answer = os.path.join(state, 'bench-ask'), os.path.join(state, 'bench-answer')
    os.mkfifo(ask)
    os.mkfifo(answer)
    # its own record of the all-in-one (iaas-manage's discovery), not the user's
    env = dict(os.environ, PYTHONPATH=tree,
               IAAS_ALLINONE_RECORD=os.path.join(state, 'allinone.json'))
    log = open(os.path.join(state, 'stdout.log'), 'w')
    proc = subprocess.Popen([sys.executable, '-c', WRAPPER, ask, answer, '--config-file',
                             conf, '--state-path', os.path.join(state, 'state')],
                            cwd=tree, env=env, stdout=subprocess.PIPE,
                            stderr=log, text=True)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if 'iaas-all ready' in line:
            return proc, ask, answer
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise SystemExit(f'iaas-all did not get ready; see {state}')


def inproc_calls(ask, answer, n):
    with open(ask, 'w') as f:
        f.write(str(n))
    with open(answer) as f:
        return json.loads(f.read())


def xproc_calls(tree, state, n):
    """Ping calls from a separate process on the same bus folder."""
    code = ('import json, sys, time\n'
            'from iaas import rpc\n'
            'from iaas.conf import CONF, register_all\n'
            'register_all(CONF)\n'
            'CONF([], project="iaas", default_config_files=[])\n'
            'CONF.set_override("transport_url", "filesystem://")\n'
            'CONF.set_override("state_path", sys.argv[1])\n'
            'client = rpc.RPCClient("scheduler", timeout=30)\n'
            'lat = []\n'
            'for _ in range(int(sys.argv[2])):\n'
            '    t = time.perf_counter()\n'
            '    client.call({}, "ping")\n'
            '    lat.append((time.perf_counter() - t) * 1000)\n'
            'print(json.dumps(lat))\n'
            'rpc.cleanup()\n')
    out = subprocess.run([sys.executable, '-c', code, os.path.join(state, 'state'), str(n)],
                         cwd=tree, env=dict(os.environ, PYTHONPATH=tree), check=True,
                         capture_output=True, text=True, timeout=600).stdout
    return json.loads(out.strip().splitlines()[-1])


def measure(tree, args):
    state = tempfile.mkdtemp(prefix='iaas-bench-idle-')
    proc = None
    try:
        proc, ask, answer = start(tree, state)
        time.sleep(args.settle)   # first-start work (bootstrap, first periodic runs)
        threads0, ticks0, t0 = thread_ticks(proc.pid), cpu_ticks(proc.pid), time.monotonic()
        time.sleep(args.seconds)
        threads1, ticks1, t1 = thread_ticks(proc.pid), cpu_ticks(proc.pid), time.monotonic()
        elapsed = t1 - t0
        per_name = collections.Counter()
        for tid, (name, ticks) in threads1.items():
            per_name[name] += ticks - threads0.get(tid, (name, 0))[1]
        inproc = inproc_calls(ask, answer, args.calls + 50)[50:]   # 50 warm-up calls
        xproc = xproc_calls(tree, state, args.calls + 50)[50:]
        figures = {
            'idle_cpu_percent': round(100 * (ticks1 - ticks0) / TICK / elapsed, 3),
            'idle_cpu_seconds': round((ticks1 - ticks0) / TICK, 2),
            'threads': len(threads1),
            'call_p50_ms': round(pct(inproc, 50), 3),
            'call_p99_ms': round(pct(inproc, 99), 3),
            'call_mean_ms': round(statistics.mean(inproc), 3),
            'xproc_call_p50_ms': round(pct(xproc, 50), 3),
            'xproc_call_p99_ms': round(pct(xproc, 99), 3),
        }
        busiest = [(n, round(t / TICK, 2)) for n, t in per_name.most_common(25) if t]
        return figures, busiest
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
        if not args.keep:
            shutil.rmtree(state, ignore_errors=True)


def export_tree(ref):
    tree = tempfile.mkdtemp(prefix='iaas-bench-base-')
    archive = subprocess.run(['git', '-C', ROOT, 'archive', ref], check=True,
                             capture_output=True).stdout
    subprocess.run(['tar', '-x', '-C', tree], input=archive, check=True)
    return tree


def report(name, figures, busiest):
    print(f'{name}: idle {figures["idle_cpu_percent"]:.2f} % of a core '
          f'({figures["idle_cpu_seconds"]} CPU-s), {figures["threads"]} threads; '
          f'call p50 {figures["call_p50_ms"]:.2f} ms (p99 {figures["call_p99_ms"]:.2f}), '
          f'from another process p50 {figures["xproc_call_p50_ms"]:.2f} ms', flush=True)
    for thread, secs in busiest:
        print(f'    {thread:<16} {secs:6.2f} CPU-s', flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--seconds', type=float, default=60.0, help='idle window sampled')
    ap.add_argument('--settle', type=float, default=15.0,
                    help='seconds after ready before sampling')
    ap.add_argument('--calls', type=int, default=300, help='ping calls measured per path')
    ap.add_argument('--base', help='git ref to measure too, side by side')
    ap.add_argument('--keep', action='store_true', help='keep the temporary state folders')
    args = ap.parse_args()
    runs = []
    if args.base:
        base_tree = export_tree(args.base)
        try:
            runs.append((f'base {args.base}', measure(base_tree, args)))
        finally:
            shutil.rmtree(base_tree, ignore_errors=True)
        report(*runs[-1][:1], *runs[-1][1])
    runs.append(('new', measure(ROOT, args)))
    report(*runs[-1][:1], *runs[-1][1])
    if args.base:
        (_, (base, _)), (_, (new, _)) = runs
        print(f'{"figure":22} {"base":>10} {"new":>10} {"new/base":>9}')
        for k in new:
            ratio = round(new[k] / base[k], 3) if base[k] else '-'
            print(f'{k:22} {base[k]:>10} {new[k]:>10} {ratio:>9}')
        print(json.dumps({'base': args.base, 'figures': {
            k: {'base': base[k], 'new': new[k]} for k in new}, **new}))
    else:
        print(json.dumps(runs[-1][1][0]))
    return 0


if __name__ == '__main__':
    sys.exit(main())
