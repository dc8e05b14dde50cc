#!/usr/bin/env python3
"""Network host sync benchmark: what one full ``sync`` of iaas-network costs
on a host with N ports (every API change to ports, floating IPs or
security groups triggers one on every network host).

    sudo tools/bench/network_sync.py [--ports 100,1000,2000] [--repeat 3]

For each N, in a fresh SQLite database and a fresh network namespace
(run-prefixed, deleted afterwards; nothing touches the root namespace):

* db:     ``host_state(host)`` — the whole host state in one read;
* build:  ``firewall.build`` + ``build6`` (pure Python: chains and rules);
* apply:  ``firewall.apply`` into the namespace (iptables-save, one
          iptables-restore --noflush, the same for ip6tables) — first on
          an empty namespace, then again with the same state (same rules,
          nothing duplicated), then once more with the memo iaas-network
          keeps (the state is unchanged, so only the save/compare runs);
* rules:  how many iptables rules the host ends with.

Each N runs twice, side by side: remote groups as one rule per member
address (the baseline, ``[network] use_ipset = false``) and as ipsets.

Ports are spread over 10 projects' networks, each port in its project's
default group plus one shared "web" group with three rules; 10% of the
ports have a floating IP. Figures are medians of --repeat runs.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from iaas.conf import CONF, register_all  # noqa: E402


def setup_db(n, tmp):
    from iaas.db import engine, migration
    from iaas.db import networks as db
    url = f'sqlite:///{tmp}/bench-{n}-{uuid.uuid4().hex[:6]}.sqlite'
    migration.upgrade(url)
    CONF.set_override('connection', url, group='database')
    engine.dispose_all()
    pub = db.network_create('public', None, external=True)
    db.subnet_create(pub['id'], '172.16.0.0/16', gateway_ip=None, enable_dhcp=False)
    projects = [f'proj-{i}' for i in range(10)]
    nets = {}
    for i, p in enumerate(projects):
        net = db.network_create(f'net-{i}', p, segment_type='vxlan', segment_range=(100, 4000))
        db.subnet_create(net['id'], f'10.{i}.0.0/16', project_id=p)
        web = db.sg_create('web', p)
        for port in (22, 80, 443):
            db.rule_create(web['id'], 'ingress', protocol='tcp', port_range_min=port,
                           port_range_max=port, remote_ip_prefix='0.0.0.0/0', project_id=p)
        nets[p] = (net, [db.ensure_default_group(p)['id'], web['id']])
    for k in range(n):
        p = projects[k % len(projects)]
        net, groups = nets[p]
        port = db.port_create(net['id'], project_id=p, device_id=f'inst-{k}',
                              device_owner='compute:nova', binding_host='bench',
                              security_groups=groups)
        if k % 10 == 0:
            db.floatingip_create(pub['id'], project_id=p, port_id=port['id'])
    return db


def run_in(ns):
    def run(argv, input=None):
        r = subprocess.run(['ip', 'netns', 'exec', ns, *argv], input=input,
                           capture_output=True, text=True, check=True)
        return r.stdout
    return run


def one(n, repeat, tmp, use_ipset):
    from iaas.network import firewall
    from iaas.network.manager import devname
    db = setup_db(n, tmp)
    out = {'db': [], 'build': [], 'apply_first': [], 'apply_again': [], 'apply_memo': []}
    rules = 0
    for _ in range(repeat):
        ns = f'bench{uuid.uuid4().hex[:8]}'
        subprocess.run(['ip', 'netns', 'add', ns], check=True)
        try:
            t0 = time.perf_counter()
            state = db.host_state('bench')
            t1 = time.perf_counter()
            fw = {'ports': [dict(p, devname=devname(p['id'])) for p in state['ports']],
                  'groups': state['groups'], 'isolate': [], 'snat': [],
                  'floating_ips': [f for f in state['floating_ips'] if f['fixed_ip_address']],
                  'metadata': {'bridges': [], 'host': None, 'port': 8775},
                  'ipsets': use_ipset}
            firewall.build(fw)
            firewall.build6(fw)
            t2 = time.perf_counter()
            memo = {}
            firewall.apply(run_in(ns), fw, memo)
            t3 = time.perf_counter()
            firewall.apply(run_in(ns), fw)          # reloaded though unchanged
            t4 = time.perf_counter()
            firewall.apply(run_in(ns), fw, memo)    # unchanged: seen and skipped
            t5 = time.perf_counter()
            saved = run_in(ns)(['iptables-save'])
            rules = sum(1 for line in saved.splitlines() if line.startswith('-A '))
            lines = [x for x in saved.splitlines() if x.startswith('-A ')]
            assert len(set(lines)) == len(lines), 'duplicate rules'
        finally:
            subprocess.run(['ip', 'netns', 'del', ns], check=False)
        out['db'].append(t1 - t0)
        out['build'].append(t2 - t1)
        out['apply_first'].append(t3 - t2)
        out['apply_again'].append(t4 - t3)
        out['apply_memo'].append(t5 - t4)
    return {k: statistics.median(v) * 1000 for k, v in out.items()}, rules


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--ports', default='100,1000,2000')
    ap.add_argument('--repeat', type=int, default=3)
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit('needs root (network namespaces, iptables)')
    register_all(CONF)
    CONF([], project='iaas', default_config_files=[])
    CONF.set_override('transport_url', 'memory://')
    print(f'{"ports":>6} {"remote groups":>14} {"rules":>7} {"db ms":>8} {"build ms":>9} '
          f'{"apply ms":>9} {"again ms":>9} {"total ms":>9} {"speedup":>8} {"no-op ms":>9}')
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(x) for x in args.ports.split(',')):
            base = None
            for use_ipset in (False, True):
                t, rules = one(n, args.repeat, tmp, use_ipset)
                total = t['db'] + t['build'] + t['apply_again']
                base = base or total
                mode = 'ipset' if use_ipset else 'per address'
                print(f'{n:>6} {mode:>14} {rules:>7} {t["db"]:>8.1f} {t["build"]:>9.1f} '
                      f'{t["apply_first"]:>9.1f} {t["apply_again"]:>9.1f} {total:>9.1f} '
                      f'{base / total:>7.1f}x {t["apply_memo"]:>9.1f}')
    print('total = db + build + apply again: one refresh that reloads the same rules; '
          'speedup against the per-address baseline; no-op = apply when the memo shows '
          'nothing changed (what iaas-network does on a refresh that does not concern '
          'this host)')


if __name__ == '__main__':
    main()
