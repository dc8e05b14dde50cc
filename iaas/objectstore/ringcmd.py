"""``iaas-objectstore ring``: create, add, remove, set_weight, rebalance, show."""
import argparse
import re
import sys

from iaas.objectstore.ring import RingBuilder, RingData, RingError

DEV_SPEC = re.compile(r'^r(\d+)z(\d+)-([^:/]+|\[[0-9a-fA-F:]+\]):(\d+)/([\w.-]+)$')


def parse_dev(spec):
    """'r1z2-127.0.0.1:6200/sdb' → (region, zone, ip, port, device)."""
    m = DEV_SPEC.match(spec)
    if not m:
        raise RingError(f'bad device "{spec}": expected rREGIONzZONE-IP:PORT/DEVICE, '
                        'e.g. r1z1-127.0.0.1:6200/d1')
    region, zone, ip, port, device = m.groups()
    return int(region), int(zone), ip.strip('[]'), int(port), device


def _load(path):
    data = RingData.load(path)
    return RingBuilder(data.part_power, data.replicas, data.devs, data.r2p2d, data.version)


def show(builder, out=None):
    b = builder
    out = out or sys.stdout
    print(f'{b.parts} partitions, {b.replicas} replicas, '
          f'{sum(1 for d in b.devs if d)} devices, version {b.version}', file=out)
    counts = {}
    for row in b.r2p2d:
        for dev_id in row:
            counts[dev_id] = counts.get(dev_id, 0) + 1
    active = [d for d in b.devs if d and d['weight'] > 0]
    total_w = sum(d['weight'] for d in active) or 1
    print(f'{"id":>3} {"region":>6} {"zone":>4} {"ip:port":>21} {"device":>10} '
          f'{"weight":>8} {"parts":>7} {"balance":>8}', file=out)
    for d in b.devs:
        if not d:
            continue
        want = b.parts * b.replicas * d['weight'] / total_w
        n = counts.get(d['id'], 0)
        bal = (100.0 * n / want - 100.0) if want else 0.0
        print(f'{d["id"]:>3} {d["region"]:>6} {d["zone"]:>4} '
              f'{d["ip"] + ":" + str(d["port"]):>21} {d["device"]:>10} '
              f'{d["weight"]:>8.2f} {n:>7} {bal:>8.2f}', file=out)


def main(argv):
    p = argparse.ArgumentParser(prog='iaas-objectstore ring',
                                description='Build and inspect the object ring file.')
    sub = p.add_subparsers(dest='action', required=True)
    c = sub.add_parser('create', help='new empty ring')
    c.add_argument('ring_file')
    c.add_argument('part_power', type=int)
    c.add_argument('replicas', type=int)
    a = sub.add_parser('add', help='add a device: rREGIONzZONE-IP:PORT/DEVICE WEIGHT')
    a.add_argument('ring_file')
    a.add_argument('device')
    a.add_argument('weight', type=float)
    r = sub.add_parser('remove', help='remove a device by id (then rebalance)')
    r.add_argument('ring_file')
    r.add_argument('dev_id', type=int)
    w = sub.add_parser('set_weight', help='change a device\'s weight (then rebalance)')
    w.add_argument('ring_file')
    w.add_argument('dev_id', type=int)
    w.add_argument('weight', type=float)
    rb = sub.add_parser('rebalance', help='assign partitions to devices')
    rb.add_argument('ring_file')
    rb.add_argument('--seed', type=int)
    s = sub.add_parser('show', help='devices and their partitions')
    s.add_argument('ring_file')
    args = p.parse_args(argv)
    try:
        if args.action == 'create':
            if not 1 <= args.part_power <= 24:
                raise RingError('part_power must be between 1 and 24')
            if not 1 <= args.replicas <= 6:
                raise RingError('replicas must be between 1 and 6')
            RingBuilder(args.part_power, args.replicas).save(args.ring_file)
            print(f'created {args.ring_file}: 2^{args.part_power} partitions, '
                  f'{args.replicas} replicas')
            return 0
        b = _load(args.ring_file)
        if args.action == 'add':
            if args.weight < 0:
                raise RingError('weight must be >= 0')
            region, zone, ip, port, device = parse_dev(args.device)
            dev = b.add_dev(ip, port, device, args.weight, zone, region)
            b.save(args.ring_file)
            print(f'added device {dev["id"]}: {args.device} weight {args.weight}')
        elif args.action == 'remove':
            b.remove_dev(args.dev_id)
            b.save(args.ring_file)
            print(f'removed device {args.dev_id}; rebalance to move its partitions')
        elif args.action == 'set_weight':
            b.set_weight(args.dev_id, args.weight)
            b.save(args.ring_file)
            print(f'device {args.dev_id} weight {args.weight}')
        elif args.action == 'rebalance':
            moved = b.rebalance(seed=args.seed)
            b.save(args.ring_file)
            print(f'rebalanced: {moved} partition replicas assigned or moved')
        elif args.action == 'show':
            show(b)
    except RingError as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 1
    return 0
