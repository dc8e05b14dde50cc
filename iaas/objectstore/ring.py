"""The ring: which devices hold a given account, container or object.

2^part_power partitions, each held by ``replicas`` devices spread over
regions and zones in proportion to their weights. The ring file (JSON) is
both the builder state and what proxies and storage nodes load; every node
must have the same file. :class:`RingBuilder` edits it (create, add,
remove, set weight, rebalance moving as few partitions as it can);
:class:`Ring` answers placement questions and reloads the file when it
changes.
"""
import hashlib
import json
import math
import os
import random
import struct
import threading
import time


class RingError(Exception):
    pass


def hash_path(account, container=None, obj=None, prefix='', suffix=''):
    """The placement hash (hex md5) of /account[/container[/object]]."""
    path = hash_path_str(account, container, obj)
    return hashlib.md5((prefix + path + suffix).encode('utf-8', 'surrogateescape')).hexdigest()


class RingData:
    """What the file holds: devices and the replica → partition → device table."""

    def __init__(self, part_power, replicas, devs=None, r2p2d=None, version=0):
        self.part_power = int(part_power)
        self.replicas = int(replicas)
        self.devs = devs or []          # index = device id; None when removed
        self.r2p2d = r2p2d or []        # [replica][partition] -> device id
        self.version = version

    @property
    def parts(self):
        return 1 << self.part_power

    def to_dict(self):
        return {'part_power': self.part_power, 'replicas': self.replicas,
                'devs': self.devs, 'r2p2d': self.r2p2d, 'version': self.version}

    @classmethod
    def from_dict(cls, d):
        return cls(d['part_power'], d['replicas'], d.get('devs'), d.get('r2p2d'),
                   d.get('version', 0))

    @classmethod
    def load(cls, path):
        try:
            with open(path) as f:
                return cls.from_dict(json.load(f))
        except FileNotFoundError:
            raise RingError(f'no ring file at {path}') from None
        except (ValueError, KeyError) as exc:
            raise RingError(f'ring file {path} is not valid: {exc}') from None

    def save(self, path):
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        tmp = f'{path}.{os.getpid()}.tmp'
        with open(tmp, 'w') as f:
            json.dump(self.to_dict(), f, separators=(',', ':'))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)


class RingBuilder(RingData):
    """Edits a ring: devices and the partition assignment."""

    def add_dev(self, ip, port, device, weight=100.0, zone=1, region=1):
        for d in self.devs:
            if d and d['ip'] == ip and d['port'] == int(port) and d['device'] == device:
                raise RingError(f'device {ip}:{port}/{device} is already in the ring')
        dev = {'id': len(self.devs), 'region': int(region), 'zone': int(zone), 'ip': ip,
               'port': int(port), 'device': device, 'weight': float(weight)}
        self.devs.append(dev)
        return dev

    def _dev(self, dev_id):
        if not 0 <= dev_id < len(self.devs) or self.devs[dev_id] is None:
            raise RingError(f'no device with id {dev_id}')
        return self.devs[dev_id]

    def set_weight(self, dev_id, weight):
        self._dev(dev_id)['weight'] = float(weight)

    def remove_dev(self, dev_id):
        self._dev(dev_id)
        self.devs[dev_id] = None

    def rebalance(self, seed=None):
        """Assign every (replica, partition) to a device; return how many moved.

        Partitions stay where they are unless their device is gone or holds
        more than its weight's share; freed slots go to the device that
        most lacks partitions, preferring a zone (then region) the
        partition does not use yet.
        """
        rng = random.Random(seed)
        active = [d for d in self.devs if d and d['weight'] > 0]
        if not active:
            raise RingError('the ring has no device with a weight above 0')
        parts, replicas = self.parts, self.replicas
        if replicas > len(active):
            raise RingError(f'{replicas} replicas need at least {replicas} devices '
                            f'with weight; the ring has {len(active)}')
        old = [list(row) for row in self.r2p2d]
        table = [list(row) if r < len(old) and len(old[r]) == parts else [None] * parts
                 for r, row in enumerate(old[:replicas] + [[]] * (replicas - len(old)))]
        active_ids = {d['id'] for d in active}
        want = self._wanted(active)
        count = dict.fromkeys(active_ids, 0)
        for r in range(replicas):
            for p in range(parts):
                dev = table[r][p]
                if dev not in active_ids:
                    table[r][p] = None
                else:
                    count[dev] += 1
        # Take partitions off devices holding more than their share.
        by_dev = {d: [] for d in active_ids}
        for r in range(replicas):
            for p in range(parts):
                if table[r][p] is not None:
                    by_dev[table[r][p]].append((r, p))
        freed_parts = set()
        for dev_id, slots in by_dev.items():
            excess = count[dev_id] - math.ceil(want[dev_id] - 1e-9)
            if excess > 0:
                rng.shuffle(slots)
                # One freed replica per partition where possible, so the
                # device that lacks partitions can take each of them.
                slots.sort(key=lambda s: s[1] in freed_parts)
                for r, p in slots[:excess]:
                    table[r][p] = None
                    freed_parts.add(p)
                    count[dev_id] -= 1
        # Give every free slot a device.
        free = [(r, p) for r in range(replicas) for p in range(parts) if table[r][p] is None]
        rng.shuffle(free)
        devs = {d['id']: d for d in active}
        for r, p in free:
            used = [table[x][p] for x in range(replicas) if table[x][p] is not None]
            zones = {(devs[u]['region'], devs[u]['zone']) for u in used}
            regions = {devs[u]['region'] for u in used}
            best, best_key = None, None
            for dev_id, d in devs.items():
                if dev_id in used:
                    continue
                key = ((d['region'], d['zone']) not in zones, d['region'] not in regions,
                       (want[dev_id] - count[dev_id]) / max(want[dev_id], 1e-9))
                if best_key is None or key > best_key:
                    best, best_key = dev_id, key
            table[r][p] = best
            count[best] += 1
        self._fill_underloaded(table, devs, want, count, rng)
        moved = sum(1 for r in range(replicas) for p in range(parts)
                    if r >= len(old) or len(old[r]) != parts or old[r][p] != table[r][p])
        self.r2p2d = table
        self.version += 1
        return moved


    def _fill_underloaded(self, table, devs, want, count, rng):
        """Move replicas from devices above their share to ones below it."""
        n_zones = len({(d['region'], d['zone']) for d in devs.values()})
        slots = [(r, p) for r in range(self.replicas) for p in range(self.parts)]
        for u in sorted(devs, key=lambda d: count[d] - want[d]):
            need = math.floor(want[u] + 1e-9) - count[u]
            if need <= 0:
                continue
            rng.shuffle(slots)
            uz = (devs[u]['region'], devs[u]['zone'])
            for r, p in slots:
                if need <= 0:
                    break
                o = table[r][p]
                if count[o] <= want[o] or o == u:
                    continue
                others = [table[x][p] for x in range(self.replicas) if x != r]
                if u in others:
                    continue
                if n_zones >= self.replicas and uz in {
                        (devs[x]['region'], devs[x]['zone']) for x in others}:
                    continue
                table[r][p] = u
                count[o] -= 1
                count[u] += 1
                need -= 1

    def _wanted(self, active):
        """Partition replicas each device should hold; none above one per partition."""
        parts, replicas = self.parts, self.replicas
        want, capped = {}, set()
        while True:
            left = parts * replicas - parts * len(capped)
            weight = sum(d['weight'] for d in active if d['id'] not in capped)
            over = False
            for d in active:
                if d['id'] in capped:
                    want[d['id']] = parts
                    continue
                want[d['id']] = left * d['weight'] / weight
                if want[d['id']] > parts:
                    capped.add(d['id'])
                    over = True
            if not over:
                return want


class Ring:
    """Placement lookups over a ring file, reloaded when the file changes."""

    def __init__(self, path, hash_prefix='', hash_suffix='iaas', reload_interval=2.0):
        self.path = path
        self.hash_prefix, self.hash_suffix = hash_prefix, hash_suffix
        self.reload_interval = reload_interval
        self._lock = threading.Lock()
        self._mtime = None
        self._checked = 0.0
        self._load()

    def _load(self):
        st = os.stat(self.path)
        data = RingData.load(self.path)
        if not data.r2p2d:
            raise RingError(f'ring {self.path} has not been rebalanced')
        self._data = data
        self._shift = 32 - data.part_power
        self._devs = data.devs
        self._mtime = st.st_mtime_ns

    def _maybe_reload(self):
        now = time.monotonic()
        if now - self._checked < self.reload_interval:
            return
        with self._lock:
            self._checked = now
            try:
                if os.stat(self.path).st_mtime_ns != self._mtime:
                    self._load()
            except (OSError, RingError):
                pass   # keep serving the ring we have

    @property
    def data(self):
        self._maybe_reload()
        return self._data

    @property
    def devs(self):
        return self.data.devs

    @property
    def replicas(self):
        return self.data.replicas

    @property
    def partition_count(self):
        return self.data.parts

    def get_part(self, account, container=None, obj=None):
        digest = hashlib.md5(
            (self.hash_prefix + hash_path_str(account, container, obj)
             + self.hash_suffix).encode('utf-8', 'surrogateescape')).digest()
        return struct.unpack_from('>I', digest)[0] >> self._shift

    def get_part_nodes(self, part):
        data = self.data
        seen, out = set(), []
        for row in data.r2p2d:
            dev_id = row[part]
            if dev_id not in seen:
                seen.add(dev_id)
                out.append(dict(data.devs[dev_id], index=len(out)))
        return out

    def get_nodes(self, account, container=None, obj=None):
        self._maybe_reload()
        part = self.get_part(account, container, obj)
        return part, self.get_part_nodes(part)

    def get_more_nodes(self, part):
        """Handoff devices for ``part``: other zones first, in a stable order."""
        data = self.data
        primary = {row[part] for row in data.r2p2d}
        zones = {(data.devs[d]['region'], data.devs[d]['zone']) for d in primary}
        others = [d for d in data.devs if d and d['id'] not in primary and d['weight'] > 0]
        others.sort(key=lambda d: ((d['region'], d['zone']) in zones,
                                   hashlib.md5(f'{part}-{d["id"]}'.encode()).digest()))
        yield from (dict(d, handoff=True) for d in others)

    def local_devices(self, ip, port):
        return [d for d in self.data.devs if d and d['ip'] == ip and d['port'] == port]


def hash_path_str(account, container=None, obj=None):
    path = '/' + account
    if container is not None:
        path += '/' + container
        if obj is not None:
            path += '/' + obj
    return path
