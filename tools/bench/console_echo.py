"""Benchmark: console keystroke echo round trip against a real guest (issue #18).

    nice -n 19 .venv/bin/python tools/bench/console_echo.py [--keystrokes 200]

Starts a small cloud of real daemons (iaas-api, iaas-image, iaas-scheduler,
one iaas-compute with the libvirt driver, iaas-serialproxy) on PostgreSQL and
RabbitMQ, boots the busybox test image under libvirtd (TCG here) and, once its
shell is up, types ``--keystrokes`` single characters into it through the
``ws://`` URL that ``openstack console url show --serial`` hands out: the
time from sending one byte until the guest's tty echoes it back, p50/p95/max
(target p95 <= 50 ms on loopback).

Baseline, side by side: the same keystrokes sent straight to the guest's TCP
serial port on the compute host (no websocket, no proxy), so the proxy's own
share shows as the difference.

Prints a table and one JSON line with every figure last (tools/bench/compare.py
reads it).
"""
import argparse
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from iaas.compute.virt.libvirt import serial  # noqa: E402
from tests.console_client import Console  # noqa: E402
from tests.probe.compute.helpers import deadline_poll, start_compute_cloud  # noqa: E402
from tests.probe.libvirt.conftest import MARKER, GuestEnv, libvirt, marker_lines, start_libvirtd  # noqa: E402

TARGET_P95_MS = 50
CLEAR_LINE = b'\x15'      # ^U: the tty erases the typed line (no echo of letters)


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def keystrokes_tcp(addr, n):
    """Per-keystroke echo seconds straight to the guest's TCP serial port."""
    with socket.create_connection(addr, timeout=10) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        times = []
        for i in range(n):
            if i % 40 == 0:
                s.sendall(CLEAR_LINE)
                drain_tcp(s)
            key = bytes([ord('a') + i % 26])
            t0 = time.perf_counter()
            s.sendall(key)
            got = b''
            while key not in got:
                chunk = s.recv(4096)
                if not chunk:
                    raise RuntimeError('serial port closed')
                got += chunk
            times.append(time.perf_counter() - t0)
        s.sendall(CLEAR_LINE)
    return times


def drain_tcp(s, quiet=0.2):
    s.settimeout(quiet)
    try:
        while s.recv(4096):
            pass
    except (socket.timeout, TimeoutError):
        pass
    s.settimeout(10)


def serial_addr(dom):
    addr = serial.tcp_endpoint(dom.XMLDesc(0))
    if not addr:
        raise RuntimeError('the domain has no TCP serial port')
    return addr


def figures(name, times):
    return {f'{name}_p50_ms': round(pct(times, 50) * 1000, 2),
            f'{name}_p95_ms': round(pct(times, 95) * 1000, 2),
            f'{name}_max_ms': round(max(times) * 1000, 2)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--keystrokes', type=int, default=200)
    a = ap.parse_args()
    start_libvirtd()
    image = pathlib.Path('/tmp/iaas-test-image/busybox.qcow2')
    subprocess.run([os.path.join(ROOT, 'tools', 'build-test-image.sh'), str(image)],
                   check=True, capture_output=True)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix='iaas-bench-echo-'))
    env = GuestEnv(libvirt.open('qemu:///system'))
    cc = None
    result = {'keystrokes': a.keystrokes}
    try:
        cc = start_compute_cloud(tmp, hosts=('cmp1',), sections={
            'compute': {'compute_driver': 'libvirt', 'instances_path': env.instances_path,
                        'max_concurrent_builds': 1, 'shutdown_timeout': 60},
            'libvirt': {'domain_prefix': env.prefix, 'image_cache_interval': 0},
            'serial_console': {'enabled': True, 'serialproxy_host': '127.0.0.1',
                               'proxyclient_address': '127.0.0.1'}})
        cc.cloud.start('iaas-serialproxy',
                       wait_port=cc.cloud.ports['serial_console.serialproxy_port'])
        cc.openstack('image', 'create', '--disk-format', 'qcow2', '--container-format',
                     'bare', '--public', '--file', str(image), 'busybox')
        cc.openstack('flavor', 'create', '--ram', '128', '--disk', '1', '--vcpus', '1',
                     'bench.nano')
        t0 = time.monotonic()
        srv = cc.openstack('server', 'create', '--image', 'busybox', '--flavor', 'bench.nano',
                           '--nic', 'none', '--wait', 'echo1', timeout=300)
        sid = srv['id']
        deadline_poll(lambda: marker_lines(env.console(sid)), 180, interval=1,
                      what='boot marker in console.log')
        result['boot_to_marker_s'] = round(time.monotonic() - t0, 1)
        url = cc.openstack('console', 'url', 'show', '--serial', 'echo1')['url']
        with Console(url, timeout=30) as con:
            con.type('\r')
            con.type('cat /iaas-boot-line\r')
            con.expect(rf'{MARKER} uuid={sid}'.encode(), timeout=60)
            con.drain(1.0)
            proxied, _ = con.echo_times(a.keystrokes, clear=CLEAR_LINE)
        result.update(figures('proxy_echo', proxied))
        direct = keystrokes_tcp(serial_addr(env.domain(sid)), a.keystrokes)
        result.update(figures('direct_echo', direct))
    finally:
        if cc is not None:
            cc.stop(check_logs=False)
        env.reconnect()
        env.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)

    print(f'\nreal guest (busybox under libvirtd/QEMU), {a.keystrokes} keystrokes, '
          f'booted to its marker in {result["boot_to_marker_s"]} s')
    print(f'{"figure":28} {"through proxy":>14} {"direct TCP":>11} {"ratio":>6}')
    for f in ('p50', 'p95', 'max'):
        p, d = result[f'proxy_echo_{f}_ms'], result[f'direct_echo_{f}_ms']
        print(f'{"echo " + f + " (ms)":28} {p:>14} {d:>11} {p / d if d else 0:>6.2f}')
    ok = result['proxy_echo_p95_ms'] <= TARGET_P95_MS
    print(f'target: echo p95 through the proxy <= {TARGET_P95_MS} ms: '
          f'{"PASS" if ok else "FAIL"}')
    result['failed'] = int(not ok)
    print(json.dumps(result))


if __name__ == '__main__':
    main()
