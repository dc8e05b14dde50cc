#!/usr/bin/env python3
"""Scheduler benchmark: one FilterScheduler decision over N synthetic hosts.

    tools/bench/scheduler.py [--hosts 1000,10000] [--n 300] [--seed 1]

Builds N ``HostState`` objects (varied sizes and usage, ~2% of services
down, ~1% disabled, two availability zones, a few aarch64 and qemu hosts)
and times ``select_destinations`` with the default [scheduler] filters and
weighers (pure Python, no DB, no bus) for these requests:

* plain:     1 instance of a 1 vCPU / 2 GiB / 20 GB flavor (the filters that
             apply: Compute, Ram, Disk, VCPU; AZ/image/group filters skip);
* all:       1 instance with availability_zone, image hw_architecture +
             img_hv_type and an anti-affinity server group of 50 hosts
             (every default filter runs);
* multi10:   10 instances in one request, anti-affinity group;
* soft10:    10 instances, soft-anti-affinity group of 50 members (two
             weighers: RAM + ServerGroupSoftAntiAffinityWeigher);
* stack:     plain, with ram_weight_multiplier = -1.0.

The chosen hosts consume the flavor, as in a real sequence of decisions.
Target (issue #5): one decision over 10,000 hosts <= 20 ms.
"""
import argparse
import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from iaas.conf import CONF, register_all  # noqa: E402
from iaas.scheduler.driver import FilterScheduler  # noqa: E402
from iaas.scheduler.host_state import HostState, RequestSpec  # noqa: E402

FLAVOR = {'vcpus': 1, 'memory_mb': 2048, 'root_gb': 20, 'ephemeral_gb': 0, 'swap': 0}


def make_hosts(n, rng):
    hosts = []
    for i in range(n):
        vcpus = rng.choice([16, 32, 64, 96])
        mem = rng.choice([65536, 131072, 262144, 524288])
        disk = rng.choice([500, 1000, 2000, 4000])
        hosts.append(HostState(
            host=f'compute-{i:05d}', node=f'compute-{i:05d}', uuid=f'uuid-{i}',
            vcpus=vcpus, vcpus_used=rng.randint(0, vcpus * 16),
            memory_mb=mem, memory_mb_used=rng.randint(0, int(mem * 1.5)),
            local_gb=disk, local_gb_used=rng.randint(0, disk),
            availability_zone='nova' if i % 10 else 'az2',
            service_up=rng.random() > 0.02, service_disabled=rng.random() < 0.01,
            hypervisor_type='kvm' if i % 50 else 'qemu',
            architecture='x86_64' if i % 100 else 'aarch64'))
    return hosts


def spec_for(kind, hosts, rng):
    if kind in ('plain', 'stack'):
        return RequestSpec(instance_uuids=['i-1'], flavor=FLAVOR)
    group = {'uuid': 'g', 'policy': 'anti-affinity',
             'hosts': [h.host for h in rng.sample(hosts, 50)]}
    if kind == 'all':
        return RequestSpec(instance_uuids=['i-1'], flavor=FLAVOR, availability_zone='nova',
                           image={'properties': {'hw_architecture': 'x86_64',
                                                 'img_hv_type': 'qemu'}},
                           group=group)
    if kind == 'soft10':
        members = [f'm-{k}' for k in range(50)]
        for h, m in zip(rng.sample(hosts, 50), members, strict=True):
            h.instances.add(m)
        group = {'uuid': 'g', 'policy': 'soft-anti-affinity', 'hosts': group['hosts'],
                 'members': members}
    return RequestSpec(instance_uuids=[f'i-{k}' for k in range(10)], flavor=FLAVOR,
                       group=group, num_instances=10)


def pct(samples, p):
    s = sorted(samples)
    return s[min(len(s) - 1, int(len(s) * p / 100))]


def run(n_hosts, kind, iterations, seed):
    rng = random.Random(seed)
    hosts = make_hosts(n_hosts, rng)
    if kind == 'stack':
        CONF.set_override('ram_weight_multiplier', -1.0, group='scheduler')
    try:
        sched = FilterScheduler()
    finally:
        CONF.clear_override('ram_weight_multiplier', group='scheduler')
    samples = []
    for _ in range(iterations):
        spec = spec_for(kind, hosts, rng)
        t0 = time.perf_counter()
        sched.select_destinations(spec, hosts)
        samples.append(time.perf_counter() - t0)
    return samples


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--hosts', default='1000,10000')
    ap.add_argument('--n', type=int, default=300, help='decisions per case')
    ap.add_argument('--seed', type=int, default=1)
    args = ap.parse_args()
    register_all(CONF)
    CONF([], project='iaas', default_config_files=[])
    print(f'filters: {", ".join(CONF.scheduler.enabled_filters)}')
    print(f'weighers: {", ".join(CONF.scheduler.weighers)}')
    worst = 0.0
    for n_hosts in [int(x) for x in args.hosts.split(',')]:
        for kind in ('plain', 'all', 'multi10', 'soft10', 'stack'):
            s = run(n_hosts, kind, args.n, args.seed)
            if kind in ('plain', 'all', 'stack') and n_hosts == 10000:
                worst = max(worst, statistics.median(s))
            print(f'{n_hosts:>6} hosts  {kind:<8} p50 {statistics.median(s) * 1e3:7.2f} ms  '
                  f'p99 {pct(s, 99) * 1e3:7.2f} ms  (n={len(s)})')
    if worst:
        print(f'target: one (single-instance) decision over 10,000 hosts <= 20 ms p50: '
              f'{"OK" if worst <= 0.020 else "MISSED"} ({worst * 1e3:.2f} ms worst case p50)')


if __name__ == '__main__':
    main()
