"""In-memory stand-ins for the ``rados`` and ``rbd`` Python bindings, with
the signatures and errors of librbd's API that the rbd driver uses."""
import json
import types


class Cluster:
    def __init__(self):
        self.pools = {'volumes': {}}    # pool -> {name: FakeImageState}
        self.connects = []
        self.open = 0


class ImageState:
    def __init__(self, size, parent=None, data=None):
        self.size = size
        self.data = data if data is not None else {}     # offset -> byte
        self.snaps = {}                 # name -> {'size', 'data', 'protected', 'id'}
        self.parent = parent            # (pool, image, snap) or None
        self.watchers = 0


def make_modules(cluster=None):
    cluster = cluster or Cluster()
    rados = types.ModuleType('rados')
    rbd = types.ModuleType('rbd')

    class Error(Exception):
        pass

    class ObjectNotFound(Error):
        pass

    class ImageNotFound(Exception):
        pass

    class ImageExists(Exception):
        pass

    class ImageBusy(Exception):
        pass

    class ImageHasSnapshots(Exception):
        pass

    class InvalidArgument(Exception):
        pass

    rados.Error, rados.ObjectNotFound = Error, ObjectNotFound
    rbd.ImageNotFound, rbd.ImageExists, rbd.ImageBusy = ImageNotFound, ImageExists, ImageBusy
    rbd.ImageHasSnapshots, rbd.InvalidArgument = ImageHasSnapshots, InvalidArgument
    rbd.RBD_FEATURE_LAYERING = 1

    class Ioctx:
        def __init__(self, pool):
            self.pool = pool
            self.images = cluster.pools[pool]
            cluster.open += 1

        def close(self):
            cluster.open -= 1

    class Rados:
        def __init__(self, conffile=None, rados_id=None, clustername=None):
            self.args = {'conffile': conffile, 'rados_id': rados_id, 'clustername': clustername}

        def connect(self, timeout=None):
            cluster.connects.append(self.args)
            cluster.open += 1

        def shutdown(self):
            cluster.open -= 1

        def open_ioctx(self, pool):
            if pool not in cluster.pools:
                raise ObjectNotFound(f'pool {pool}')
            return Ioctx(pool)

        def get_cluster_stats(self):
            return {'kb': 100 << 20, 'kb_used': 10 << 20, 'kb_avail': 90 << 20}

        def mon_command(self, cmd, inbuf):
            prefix = json.loads(cmd)['prefix']
            if prefix == 'mon dump':
                return 0, json.dumps({'mons': [
                    {'name': 'a', 'public_addrs': {'addrvec': [
                        {'type': 'v2', 'addr': '127.0.0.1:3300', 'nonce': 0},
                        {'type': 'v1', 'addr': '127.0.0.1:6789', 'nonce': 0}]},
                     'addr': '127.0.0.1:6789/0'},
                    {'name': 'b', 'addr': '[::1]:6790/0'}]}).encode(), ''
            if prefix == 'df':
                return 0, json.dumps({'pools': [{'name': 'volumes', 'stats': {
                    'stored': 10 << 30, 'max_avail': 30 << 30}}]}).encode(), ''
            return -22, b'', 'unknown command'

    class RBD:
        def create(self, ioctx, name, size, old_format=True, features=None):
            if name in ioctx.images:
                raise ImageExists(name)
            assert old_format is False and features == rbd.RBD_FEATURE_LAYERING
            ioctx.images[name] = ImageState(size)

        def clone(self, p_ioctx, p_name, p_snap, c_ioctx, c_name, features=None):
            if p_name not in p_ioctx.images or p_snap not in p_ioctx.images[p_name].snaps:
                raise ImageNotFound(p_name)
            snap = p_ioctx.images[p_name].snaps[p_snap]
            if not snap['protected']:
                raise InvalidArgument('parent snapshot must be protected')
            c_ioctx.images[c_name] = ImageState(snap['size'], (p_ioctx.pool, p_name, p_snap))

        def list(self, ioctx):
            return list(ioctx.images)

        def remove(self, ioctx, name):
            st = ioctx.images.get(name)
            if st is None:
                raise ImageNotFound(name)
            if st.snaps:
                raise ImageHasSnapshots(name)
            if st.watchers:
                raise ImageBusy(name)
            del ioctx.images[name]

    class Image:
        def __init__(self, ioctx, name, snapshot=None, read_only=False):
            if name not in ioctx.images:
                raise ImageNotFound(name)
            self.ioctx, self.name, self.snapshot = ioctx, name, snapshot
            self.st = ioctx.images[name]
            if snapshot is not None and snapshot not in self.st.snaps:
                raise ImageNotFound(f'{name}@{snapshot}')
            self.read_only = read_only or snapshot is not None

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.close()

        def close(self):
            pass

        def size(self):
            return self.st.snaps[self.snapshot]['size'] if self.snapshot else self.st.size

        def resize(self, size):
            self.st.size = size

        def _byte(self, st, off):
            if off in st.data:
                return st.data[off]
            if st.parent:
                pool, pname, psnap = st.parent
                parent = cluster.pools[pool][pname].snaps[psnap]
                return parent['data'].get(off, 0)
            return 0

        def read(self, offset, length):
            if self.snapshot:
                d = self.st.snaps[self.snapshot]['data']
                return bytes(d.get(o, 0) for o in range(offset, offset + length))
            return bytes(self._byte(self.st, o) for o in range(offset, offset + length))

        def write(self, data, offset):
            assert not self.read_only
            for i, b in enumerate(data):
                self.st.data[offset + i] = b
            return len(data)

        def flush(self):
            pass

        def flatten(self):
            if self.st.parent:
                pool, pname, psnap = self.st.parent
                for o, b in cluster.pools[pool][pname].snaps[psnap]['data'].items():
                    self.st.data.setdefault(o, b)
                self.st.parent = None

        def create_snap(self, name):
            if name in self.st.snaps:
                raise ImageExists(name)
            data = {o: self._byte(self.st, o) for o in self.st.data}
            if self.st.parent:
                pool, pname, psnap = self.st.parent
                for o, b in cluster.pools[pool][pname].snaps[psnap]['data'].items():
                    data.setdefault(o, b)
            self.st.snaps[name] = {'size': self.st.size, 'data': data, 'protected': False,
                                   'id': len(self.st.snaps) + 1}

        def _children(self, name):
            return [(pool, n) for pool, imgs in cluster.pools.items()
                    for n, st in imgs.items() if st.parent == (self.ioctx.pool, self.name, name)]

        def protect_snap(self, name):
            self.st.snaps[name]['protected'] = True

        def unprotect_snap(self, name):
            if self._children(name):
                raise ImageBusy(f'{name} has children')
            self.st.snaps[name]['protected'] = False

        def is_protected_snap(self, name):
            return self.st.snaps[name]['protected']

        def remove_snap(self, name):
            if self.st.snaps[name]['protected']:
                raise ImageBusy(f'{name} is protected')
            del self.st.snaps[name]

        def list_snaps(self):
            return iter([{'id': s['id'], 'size': s['size'], 'name': n}
                         for n, s in self.st.snaps.items()])

        def list_children(self):
            assert self.snapshot, 'list_children needs an image opened at a snapshot'
            return self._children(self.snapshot)

    rados.Rados = Rados
    rbd.RBD, rbd.Image = RBD, Image
    rados.cluster = cluster
    return rados, rbd
