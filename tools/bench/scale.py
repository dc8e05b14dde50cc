#!/usr/bin/env python3
"""Benchmark: the control plane at scale — many fake compute hosts, many servers.

    .venv/bin/python tools/bench/scale.py [--hosts 50] [--processes K]
        [--servers 200] [--concurrency 20] [--idle 20] [--list-rounds 3] [--keep]

Starts real daemons as processes — iaas-api, iaas-image, iaas-conductor,
iaas-scheduler and ``--processes`` iaas-compute, each running its share of
``--hosts`` fake hosts (``[fake_driver] hosts``, iaas/compute/multihost.py) —
against the local RabbitMQ (a control exchange of its own, queues deleted at
the end) and a fresh PostgreSQL database ``iaas_scale_<pid>`` (dropped at the
end). Servers boot with ``networks: none`` (no iaas-network). Then:

1. start-up: until every host's service row and compute node exist;
2. idle (``--idle`` s, no requests): heartbeat rows written per second
   (the growth of ``services.report_count``) and the CPU every
   daemon and the database's backends spend meanwhile (heartbeats, resource
   reports, periodic tasks: an upper bound of the heartbeats' cost);
3. boots: ``--servers`` servers through the compute API with a real token,
   ``--concurrency`` at a time, each client waiting until its server is
   ACTIVE before the next (as Rally's boot scenario); request→ACTIVE is from
   just before ``POST /servers`` to the server's ``launched_at`` (written in
   the update that makes it ACTIVE; a watcher thread reads it from the
   database, so waiting does not load the API). p50/p95/p99, boots/s;
4. bus and database: RabbitMQ connections of each daemon (its sockets to
   the broker), this run's queues (``rabbitmqctl list_queues``), PostgreSQL
   connections to the database (``pg_stat_activity``);
5. ``GET /servers/detail?limit=1000``, every page (following the ``next``
   link), ``--list-rounds`` times: per-page p50/p99 and a full walk;
6. scheduler decision at this many hosts: the scheduler's own path
   (``SchedulerManager.host_states()`` from the database, then
   ``FilterScheduler.select_destinations``), timed in this process;
7. CPU seconds of each daemon (``/proc/<pid>/stat``) per phase.

Anchor: OpenStack performance-docs ``1000_nodes_fake_driver`` (Mitaka; 1,000
nova-compute containers on 26 servers, 3 RabbitMQ nodes, Rally at
concurrency 50): boot p50 6.2 s, p95 8.0 s, ≈ 5.4 boot+delete/s, server list
median 14.4 s at up to 10,000 servers, 7,600 RabbitMQ connections per node.
Targets (issue #19): boot p50 <= 0.5 s; list page <= 0.5 s; heartbeats <= 5 %
of one core. Prints a table, then one JSON line with every figure
(tools/bench/compare.py takes it: ``compare.py --base REF tools/bench/scale.py …``).
"""
import argparse
import concurrent.futures
import http.client
import json
import math
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

import psutil
import sqlalchemy as sa

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

from tests.conftest import PG_ADMIN, RABBIT  # noqa: E402
from tests.probe.compute.helpers import Rest, merge  # noqa: E402
from tests.probe.fixtures import Cloud, Daemon, wait_for_port  # noqa: E402
from tools.bench.boot import body, ms, pct, utcnow  # noqa: E402

ANCHOR = {'boot_p50_s': 6.2, 'boot_p95_s': 8.0, 'boots_per_s': 5.4, 'list_median_s': 14.4,
          'rabbit_connections_per_node': 7600}
TARGETS = {'boot_p50_s': 0.5, 'list_page_p50_s': 0.5, 'heartbeat_core_pct': 5.0}
HOSTS_PER_PROCESS = 250
CLK = os.sysconf('SC_CLK_TCK')

SECTIONS = {
    'DEFAULT': {'rpc_workers': 8},
    'fake_driver': {'spawn_delay': 0, 'vcpus': 1000, 'memory_mb': 1_000_000,
                    'local_gb': 100_000},
    'quota': {'instances': -1, 'cores': -1, 'ram': -1},
    # Nova's defaults for the periodic tasks (60 s resource audit, 600 s power sync)
    'compute': {'max_concurrent_builds': 20, 'resource_report_interval': 60,
                'sync_power_state_interval': 600, 'reap_interval': 10},
    'service': {'report_interval': 10, 'service_down_time': 60},
    'api': {'threads': 32, 'user_write_rate': 0},
    'service_user': {'password': 'admin-secret-1'},
}


# -- the cloud ------------------------------------------------------------------

class ScaleCloud:
    def __init__(self, work, hosts, processes, profile=()):
        self.work, self.hosts, self.processes = work, hosts, processes
        self.profile = profile
        self.db_name = f'iaas_scale_{os.getpid()}'
        self.exchange = f'iaas-scale-{os.getpid()}-{uuid.uuid4().hex[:6]}'
        self.admin = sa.create_engine(PG_ADMIN, isolation_level='AUTOCOMMIT')
        with self.admin.connect() as c:
            c.execute(sa.text(f'CREATE DATABASE {self.db_name}'))
        self.db_url = PG_ADMIN.rsplit('/', 1)[0] + '/' + self.db_name
        self.engine = sa.create_engine(self.db_url, pool_size=2)
        self.cloud = None

    def start(self):
        self.cloud = Cloud.create(self.work, db_url=self.db_url, sections=SECTIONS, host='ctl',
                                  transport_url=RABBIT, control_exchange=self.exchange)
        for name in self.profile:
            self.start_profiled(name)
        for name in ('iaas-api', 'iaas-image', 'iaas-conductor', 'iaas-scheduler'):
            if name not in self.cloud.daemons:
                self.cloud.start(name, wait_port=False)
        wait_for_port(self.cloud.ports['compute_port'], what='compute API')
        wait_for_port(self.cloud.ports['image'], what='image API')
        t0 = time.monotonic()
        per = math.ceil(self.hosts / self.processes)
        left = self.hosts
        for k in range(self.processes):
            n = min(per, left)
            left -= n
            cfg = self.cloud.host_config(f'sim{k}', merge(SECTIONS, {'fake_driver': {
                'hosts': n, 'host_prefix': f'sim{k}'}}), database=False)
            self.cloud.start('iaas-compute', config_file=cfg, wait_port=False,
                             key=f'iaas-compute-{k}')
        self.wait_hosts()
        return time.monotonic() - t0

    def start_profiled(self, name):
        """``name`` under tools/bench/sampler.py; its profile is written to
        <work>/<name>.profile when it stops (SIGTERM ends the launcher normally)."""
        log = self.work / f'{name}.log'
        d = Daemon.__new__(Daemon)
        d.name, d.log_path, d._log = name, log, open(log, 'ab')
        d.proc = subprocess.Popen(
            [sys.executable, os.path.join(ROOT, 'tools', 'bench', 'sampler.py'),
             str(self.work / f'{name}.profile'), name, '--config-file',
             str(self.cloud.config_file)],
            stdout=d._log, stderr=subprocess.STDOUT, env=dict(os.environ, PYTHONPATH=ROOT))
        self.cloud.daemons[name] = d

    def wait_hosts(self, timeout=900):
        q = sa.text("SELECT (SELECT count(*) FROM services WHERE deleted = 0 AND "
                    "\"binary\" = 'iaas-compute'), (SELECT count(*) FROM compute_nodes "
                    "WHERE deleted = 0)")
        deadline = time.monotonic() + timeout
        while True:
            with self.engine.connect() as c:
                svcs, nodes = c.execute(q).one()
            if svcs >= self.hosts and nodes >= self.hosts:
                return
            for key, d in self.cloud.daemons.items():
                if d.proc.poll() is not None:
                    raise RuntimeError(f'{key} exited:\n{d.log()[-3000:]}')
            if time.monotonic() > deadline:
                raise RuntimeError(f'{svcs} services, {nodes} nodes of {self.hosts}')
            time.sleep(0.5)

    def pids(self):
        return {k: d.proc.pid for k, d in self.cloud.daemons.items()}

    def stop(self):
        if self.cloud is not None:
            self.cloud.stop_all()
        self.engine.dispose()
        with self.admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS {self.db_name} WITH (FORCE)'))
        self.admin.dispose()
        delete_bus(self.exchange)


def rabbitmqctl(*args):
    r = subprocess.run(['rabbitmqctl', '-q', *args], capture_output=True, text=True,
                       timeout=120)
    return [line.split('\t') for line in r.stdout.splitlines() if line.strip()]


def delete_bus(exchange):
    """This run's queues and exchanges, off the shared broker."""
    import kombu
    queues = [r[0] for r in rabbitmqctl('list_queues', 'name') if r[0].startswith(exchange)]
    exchanges = [r[0] for r in rabbitmqctl('list_exchanges', 'name')
                 if r[0].startswith(exchange)]
    with kombu.Connection(RABBIT, connect_timeout=5) as conn:
        ch = conn.channel()
        for q in queues:
            ch.queue_delete(q)
        for e in exchanges:
            ch.exchange_delete(e)


# -- measurements -----------------------------------------------------------------

def cpu_seconds(pids):
    out = {}
    for key, pid in pids.items():
        try:
            with open(f'/proc/{pid}/stat') as f:
                fields = f.read().rsplit(')', 1)[1].split()
            out[key] = (int(fields[11]) + int(fields[12])) / CLK
        except (OSError, IndexError):
            out[key] = 0.0
    return out


def other_cpu(sc):
    """CPU seconds so far of what serves the daemons: this database's
    PostgreSQL backends, the RabbitMQ node, and this benchmark (its clients
    and the ACTIVE watcher)."""
    pg = cpu_seconds({p: p for p in db_backends(sc.engine, sc.db_name)})
    with sc.engine.connect() as c:
        xacts = c.execute(sa.text('SELECT xact_commit + xact_rollback FROM pg_stat_database '
                                  'WHERE datname = :d'), {'d': sc.db_name}).scalar()
    beam = [p.pid for p in psutil.process_iter(['name']) if p.info['name'] == 'beam.smp']
    t = os.times()
    return {'postgres': pg, 'rabbitmq': sum(cpu_seconds({p: p for p in beam}).values()),
            'benchmark': t.user + t.system, 'xacts': xacts}


def other_delta(after, before):
    pg = sum(v - before['postgres'].get(k, 0.0) for k, v in after['postgres'].items())
    return {'postgres': round(pg, 2),
            'rabbitmq': round(after['rabbitmq'] - before['rabbitmq'], 2),
            'benchmark': round(after['benchmark'] - before['benchmark'], 2),
            'db_transactions': after['xacts'] - before['xacts']}


def delta(after, before):
    return {k: round(after[k] - before.get(k, 0.0), 2) for k in after}


def db_backends(engine, db_name):
    with engine.connect() as c:
        return [r[0] for r in c.execute(sa.text(
            'SELECT pid FROM pg_stat_activity WHERE datname = :d AND pid <> pg_backend_pid()'),
            {'d': db_name})]


def heartbeats_written(engine):
    """Heartbeat rows written so far (each bumps its row's report_count)."""
    with engine.connect() as c:
        return c.execute(sa.text('SELECT coalesce(sum(report_count), 0) FROM services '
                                 'WHERE deleted = 0')).scalar()


def idle_phase(sc, seconds):
    """Heartbeat rows/s and the CPU of everything over an idle window."""
    pids = sc.pids()
    backends = {f'pg-{p}': p for p in db_backends(sc.engine, sc.db_name)}
    upd0 = heartbeats_written(sc.engine)
    cpu0 = cpu_seconds({**pids, **backends})
    t0 = time.monotonic()
    time.sleep(seconds)
    elapsed = time.monotonic() - t0
    cpu = delta(cpu_seconds({**pids, **backends}), cpu0)
    upd = heartbeats_written(sc.engine) - upd0
    daemons = sum(v for k, v in cpu.items() if not k.startswith('pg-'))
    pg = sum(v for k, v in cpu.items() if k.startswith('pg-'))
    return {'idle_s': round(elapsed, 1), 'heartbeat_rows_per_s': round(upd / elapsed, 1),
            'idle_cpu_daemons_pct': round(100 * daemons / elapsed, 2),
            'idle_cpu_postgres_pct': round(100 * pg / elapsed, 2),
            'heartbeat_core_pct': round(100 * (daemons + pg) / elapsed, 2),
            'idle_cpu_by_daemon_s': {k: v for k, v in cpu.items() if not k.startswith('pg-')}}


class ActiveWatcher:
    """Reads launched_at of the servers clients wait for, every 50 ms."""

    def __init__(self, engine):
        self.engine = engine
        self.pending = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def wait(self, uuid_, timeout=600):
        ev = threading.Event()
        slot = [ev, None]
        with self.lock:
            self.pending[uuid_] = slot
        if not ev.wait(timeout):
            return None
        return slot[1]

    def run(self):
        q = sa.text("SELECT uuid, vm_state, launched_at FROM instances WHERE uuid = ANY(:u) "
                    "AND vm_state IN ('active', 'error')")
        while not self.stop.wait(0.05):
            with self.lock:
                uuids = list(self.pending)
            if not uuids:
                continue
            with self.engine.connect() as c:
                rows = c.execute(q, {'u': uuids}).all()
            with self.lock:
                for u, state, launched in rows:
                    slot = self.pending.pop(u, None)
                    if slot:
                        slot[1] = (state, launched)
                        slot[0].set()


def boot_phase(sc, rest, image, flavor, total, concurrency, max_s=None):
    headers = dict(rest.session.headers)
    counter = iter(range(total))
    lock = threading.Lock()
    lat, posts, errors, refused = [], [], [], []
    watcher = ActiveWatcher(sc.engine)
    stop_at = time.monotonic() + max_s if max_s else math.inf

    url = urllib.parse.urlsplit(rest.compute)
    headers = {k: v for k, v in headers.items() if k in ('X-Auth-Token', 'OpenStack-API-Version')}
    headers['Content-Type'] = 'application/json'

    def worker():
        # a plain keep-alive connection (http.client), not requests: the
        # load generator's CPU is this machine's too (Rally ran elsewhere)
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
        while time.monotonic() < stop_at:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            t0 = utcnow()
            m0 = time.monotonic()
            conn.request('POST', f'{url.path}/servers',
                         json.dumps(body(f'scale-{i}', image, flavor)), headers)
            r = conn.getresponse()
            data = r.read()
            posts.append(time.monotonic() - m0)
            if r.status != 202:
                refused.append(data[:200].decode(errors='replace'))
                continue
            got = watcher.wait(json.loads(data)['server']['id'])
            if got is None or got[0] != 'active':
                errors.append(got)
                continue
            lat.append((got[1] - t0).total_seconds())

    t0 = utcnow()
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        for f in [pool.submit(worker) for _ in range(concurrency)]:
            f.result()
    watcher.stop.set()
    with sc.engine.connect() as c:
        last = c.execute(sa.text("SELECT max(launched_at) FROM instances "
                                 "WHERE vm_state = 'active'")).scalar()
        # where a boot's time goes: API (created), scheduler (claimed),
        # compute + conductor (launched)
        stages = c.execute(sa.text(
            "SELECT created_at, scheduled_at, launched_at FROM instances "
            "WHERE vm_state = 'active' AND launched_at IS NOT NULL "
            "AND scheduled_at IS NOT NULL")).all()
    span = (last - t0).total_seconds() if last else None
    lat = lat or [float('nan')]
    to_claim = [(s - c).total_seconds() for c, s, _ in stages] or [float('nan')]
    to_active = [(a - s).total_seconds() for _, s, a in stages] or [float('nan')]
    return {'servers': total, 'concurrency': concurrency, 'booted': len(posts),
            'stopped_early': len(posts) < total, 'active': len(lat),
            'errors': len(errors), 'refused': len(refused), 'boot_span_s': round(span, 1),
            'boot_p50_s': round(pct(lat, 50), 3), 'boot_p95_s': round(pct(lat, 95), 3),
            'boot_p99_s': round(pct(lat, 99), 3), 'boot_max_s': round(max(lat), 3),
            'boots_per_s': round(len(lat) / span, 2) if span else None,
            'post_p50_ms': ms(pct(posts, 50)), 'post_p99_ms': ms(pct(posts, 99)),
            'created_to_claimed_p50_ms': ms(pct(to_claim, 50)),
            'claimed_to_active_p50_ms': ms(pct(to_active, 50)),
            'refused_sample': refused[:2]}


def list_phase(rest, rounds, limit=1000):
    pages, walks, count = [], [], 0
    for _ in range(rounds):
        url, count = f'/servers/detail?limit={limit}', 0
        w0 = time.monotonic()
        while url:
            t = time.monotonic()
            r = rest.get(url, timeout=300)
            pages.append(time.monotonic() - t)
            assert r.status_code == 200, r.text[:300]
            data = r.json()
            count += len(data['servers'])
            nxt = [link['href'] for link in data.get('servers_links') or []
                   if link.get('rel') == 'next']
            url = nxt[0].split('/v2.1', 1)[1] if nxt and data['servers'] else None
        walks.append(time.monotonic() - w0)
    return {'list_servers': count, 'list_pages': len(pages) // max(1, rounds),
            'list_page_p50_s': round(pct(pages, 50), 3),
            'list_page_p99_s': round(pct(pages, 99), 3),
            'list_walk_p50_s': round(pct(walks, 50), 3)}


def scheduler_phase(sc, n=30):
    """The scheduler's decision path over every host in the database."""
    from iaas.conf import CONF, register_all
    from iaas.db import engine as db_engine
    from iaas.scheduler.host_state import RequestSpec
    from iaas.scheduler.manager import SchedulerManager
    from tools.bench.scheduler import FLAVOR
    register_all(CONF)
    CONF([], project='iaas', default_config_files=[])
    CONF.set_override('connection', sc.db_url, group='database')
    CONF.set_override('service_down_time', 60, group='service')
    mgr = SchedulerManager('bench')
    load, decide = [], []
    for i in range(n):
        t = time.perf_counter()
        hosts = mgr.host_states()
        t1 = time.perf_counter()
        mgr.driver.select_destinations(RequestSpec(instance_uuids=[f'b-{i}'], flavor=FLAVOR),
                                       hosts)
        load.append(t1 - t)
        decide.append(time.perf_counter() - t1)
    db_engine.dispose_all()
    total = [a + b for a, b in zip(load, decide, strict=True)]
    return {'sched_hosts': len(hosts), 'sched_decision_p50_ms': ms(pct(total, 50)),
            'sched_decision_p99_ms': ms(pct(total, 99)),
            'sched_load_hosts_p50_ms': ms(pct(load, 50)),
            'sched_filter_weigh_p50_ms': ms(pct(decide, 50))}


def bus_and_db(sc):
    conns, pg = {}, {}
    ports = {}
    for key, pid in sc.pids().items():
        try:
            socks = psutil.Process(pid).net_connections(kind='tcp')
        except psutil.Error:
            continue
        conns[key] = sum(1 for s in socks if s.raddr and s.raddr.port == 5672
                         and s.status == 'ESTABLISHED')
        for s in socks:
            if s.raddr and s.raddr.port == 5432:
                ports[s.laddr.port] = key
    with sc.engine.connect() as c:
        rows = c.execute(sa.text('SELECT client_port FROM pg_stat_activity WHERE datname = :d '
                                 'AND pid <> pg_backend_pid()'), {'d': sc.db_name}).all()
    for (port,) in rows:
        key = ports.get(port, 'other (this benchmark)')
        pg[key] = pg.get(key, 0) + 1
    queues = [r for r in rabbitmqctl('list_queues', 'name', 'messages', 'consumers')
              if r[0].startswith(sc.exchange)]
    return {'rabbit_connections': sum(conns.values()), 'rabbit_connections_by_daemon': conns,
            'rabbit_queues': len(queues),
            'rabbit_queued_messages': sum(int(r[1]) for r in queues if len(r) > 1),
            'pg_connections': sum(pg.values()), 'pg_connections_by_daemon': pg}


# -- report ------------------------------------------------------------------------

def verdicts(r):
    return {
        'boot_p50_s': r.get('boot_p50_s', math.inf) <= TARGETS['boot_p50_s'],
        'list_page_p50_s': r.get('list_page_p50_s', math.inf) <= TARGETS['list_page_p50_s'],
        'heartbeat_core_pct': r.get('heartbeat_core_pct', math.inf)
        <= TARGETS['heartbeat_core_pct']}


def print_table(r):
    rows = [
        ('hosts / compute processes', f"{r['hosts']} / {r['processes']}", '1,000 / 1,000'),
        ('start-up until all hosts reported', f"{r['startup_s']} s", '-'),
        ('servers booted of asked (active/error/refused)',
         f"{r['booted']} of {r['servers']} ({r['active']}/{r['errors']}/{r['refused']})",
         '10,000'),
        ('request→ACTIVE p50 / p95 / p99',
         f"{r['boot_p50_s']} / {r['boot_p95_s']} / {r['boot_p99_s']} s", '6.2 / 8.0 / - s'),
        ('boots/s', r['boots_per_s'], '≈5.4 boot+delete/s'),
        ('POST /servers p50 / p99', f"{r['post_p50_ms']} / {r['post_p99_ms']} ms", '-'),
        ('row made→claimed / claimed→ACTIVE p50',
         f"{r.get('created_to_claimed_p50_ms')} / {r.get('claimed_to_active_p50_ms')} ms", '-'),
        ('GET /servers/detail page (1,000) p50 / p99',
         f"{r['list_page_p50_s']} / {r['list_page_p99_s']} s", '14.4 s median (all)'),
        ('full list walk p50', f"{r['list_walk_p50_s']} s ({r['list_servers']} servers)",
         '-'),
        (f"scheduler decision at {r['sched_hosts']} hosts p50 / p99",
         f"{r['sched_decision_p50_ms']} / {r['sched_decision_p99_ms']} ms", '-'),
        ('RabbitMQ connections (all daemons)', r['rabbit_connections'], '7,600 per node'),
        ('RabbitMQ queues (this run) / messages in them',
         f"{r['rabbit_queues']} / {r['rabbit_queued_messages']}", '-'),
        ('PostgreSQL connections', r['pg_connections'], '-'),
        ('heartbeat rows written/s', r['heartbeat_rows_per_s'], '-'),
        ('idle CPU (daemons + postgres), % of a core', r['heartbeat_core_pct'], '-'),
    ]
    print(f'\n{"figure":48} {"measured":>28}   anchor (Mitaka, 26 servers)')
    for name, val, anchor in rows:
        print(f'{name:48} {val!s:>28}   {anchor}')
    print('\nCPU seconds by daemon (start-up / idle / boots / list):')
    for key in r['cpu_startup_s']:
        print(f'  {key:24} ' + ' / '.join(f"{r[p].get(key, 0):8.1f}" for p in (
            'cpu_startup_s', 'cpu_idle_s', 'cpu_boot_s', 'cpu_list_s')))
    print(f'database transactions per boot (all daemons): {r["db_transactions_per_boot"]}')
    print(f'CPU per boot, ms (total {r["cpu_ms_per_boot_total"]}): '
          + ', '.join(f'{k} {v}' for k, v in r['cpu_ms_per_boot'].items()))
    print(f'RabbitMQ connections by daemon: {r["rabbit_connections_by_daemon"]}')
    print(f'PostgreSQL connections by daemon: {r["pg_connections_by_daemon"]}')
    print('\ntargets (issue #19):')
    for k, ok in r['verdicts'].items():
        print(f'  {k:22} <= {TARGETS[k]:<6} measured {r[k]!s:<10} {"PASS" if ok else "FAIL"}')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--hosts', type=int, default=50)
    ap.add_argument('--processes', type=int, default=0,
                    help=f'iaas-compute processes (default: one per {HOSTS_PER_PROCESS} hosts)')
    ap.add_argument('--servers', type=int, default=200)
    ap.add_argument('--concurrency', type=int, default=20)
    ap.add_argument('--idle', type=float, default=60.0,
                    help='seconds of the idle window (at least two heartbeat intervals; '
                         'the default holds one batch of resource reports too)')
    ap.add_argument('--scheduler-cache', type=float, default=None, metavar='SECONDS',
                    help='[scheduler] host_state_cache_seconds (default: as shipped)')
    ap.add_argument('--max-minutes', type=float, default=0,
                    help='stop starting boots after this long (0: boot every server)')
    ap.add_argument('--list-rounds', type=int, default=3)
    ap.add_argument('--keep', action='store_true', help='keep the work dir (logs)')
    ap.add_argument('--profile', action='append', default=[], metavar='DAEMON',
                    choices=('iaas-api', 'iaas-conductor', 'iaas-scheduler'),
                    help='sample DAEMON\'s threads (tools/bench/sampler.py): <work dir>/DAEMON.profile, '
                    'with --keep')
    a = ap.parse_args()
    processes = a.processes or max(1, math.ceil(a.hosts / HOSTS_PER_PROCESS))
    if a.scheduler_cache is None:
        from iaas.conf import scheduler as sched_conf
        a.scheduler_cache = next(o.default for o in sched_conf.scheduler_opts
                                 if o.name == 'host_state_cache_seconds')
    SECTIONS['scheduler'] = {'host_state_cache_seconds': a.scheduler_cache}
    work = pathlib.Path(tempfile.mkdtemp(prefix='iaas-bench-scale-'))
    sc = ScaleCloud(work, a.hosts, processes, a.profile)
    r = {'hosts': a.hosts, 'processes': processes, 'scheduler_cache_s': a.scheduler_cache}
    try:
        cpu0 = {}
        r['startup_s'] = round(sc.start(), 1)
        pids = sc.pids()
        cpu1 = cpu_seconds(pids)
        r['cpu_startup_s'] = delta(cpu1, cpu0)
        print(f'{a.hosts} hosts in {processes} compute processes up in {r["startup_s"]} s',
              flush=True)
        r.update(idle_phase(sc, max(a.idle, 2 * SECTIONS['service']['report_interval'])))
        cpu2 = cpu_seconds(pids)
        r['cpu_idle_s'] = delta(cpu2, cpu1)
        print(f'idle: {r["heartbeat_rows_per_s"]} heartbeat rows/s, '
              f'{r["heartbeat_core_pct"]} % of a core', flush=True)
        rest = Rest(sc.cloud)
        image = rest.upload_image('scale-img')
        flavor = rest.create_flavor('scale.tiny', 64, vcpus=1, disk=1)
        other0 = other_cpu(sc)
        cpu2 = cpu_seconds(pids)
        r.update(boot_phase(sc, rest, image, flavor, a.servers, a.concurrency,
                            a.max_minutes * 60))
        cpu3 = cpu_seconds(pids)
        r['cpu_boot_s'] = delta(cpu3, cpu2)
        r['cpu_boot_other_s'] = other_delta(other_cpu(sc), other0)
        n = max(1, r['active'])
        r['db_transactions_per_boot'] = round(
            r['cpu_boot_other_s'].pop('db_transactions') / n, 1)
        r['cpu_ms_per_boot'] = {k: round(1000 * v / n, 1) for k, v in {
            **r['cpu_boot_s'], **r['cpu_boot_other_s']}.items()}
        r['cpu_ms_per_boot_total'] = round(sum(r['cpu_ms_per_boot'].values()), 1)
        print(f'boots: {r["active"]} ACTIVE, p50 {r["boot_p50_s"]} s, {r["boots_per_s"]}/s',
              flush=True)
        r.update(bus_and_db(sc))
        r.update(list_phase(rest, a.list_rounds))
        r['cpu_list_s'] = delta(cpu_seconds(pids), cpu3)
        r.update(scheduler_phase(sc))
        r['verdicts'] = verdicts(r)
        print_table(r)
    finally:
        sc.stop()
        if a.keep:
            print(f'work dir (logs): {work}')
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(r, default=str))


if __name__ == '__main__':
    main()
