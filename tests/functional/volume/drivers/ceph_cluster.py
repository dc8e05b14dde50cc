"""A private single-node Ceph cluster for tests: 1 mon + 1 mgr + 1 OSD
(BlueStore on a sparse file) on 127.0.0.1, cephx on, all state under one
directory. Adapted from shared/ceph/start.sh and stop.sh: its own fsid, the
monitor on two free ports (v2 and v1), the OSD and mgr on ports Ceph picks
in its 6800-7300 range; the daemons run in the foreground (``-f``) as
children of the test process so :meth:`CephCluster.stop` ends exactly them
(SIGKILL, or SIGTERM with a grace period) before removing the directory.

Debian's Ceph packages (ceph-mon ceph-mgr ceph-osd ceph-common
python3-rados python3-rbd) provide the binaries and the Python bindings.
The bindings exist only for Debian's Python and are not in the project's
virtualenv: :func:`load_bindings` loads just the two extension modules by
path (the venv's Python is CPython 3.11 too), without putting all of
dist-packages on ``sys.path``.
"""
import glob
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
import uuid

from tests.ports import free_port  # noqa: F401 (re-exported)

BINARIES = ('ceph-mon', 'ceph-mgr', 'ceph-osd', 'ceph', 'ceph-authtool', 'monmaptool', 'rbd')
DIST_PACKAGES = '/usr/lib/python3/dist-packages'

CONF = """\
[global]
fsid = {fsid}
mon initial members = a
mon host = [v2:127.0.0.1:{v2},v1:127.0.0.1:{v1}]
public network = 127.0.0.0/8
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
osd pool default size = 1
osd pool default min size = 1
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
auth allow insecure global id reclaim = false
mon allow pool delete = true
mon warn on pool no redundancy = false
mon data avail warn = 2
mon data avail crit = 1
run dir = {d}/run
admin socket = {d}/run/$name.asok
pid file = {d}/run/$name.pid
log file = {d}/log/$name.log
crash dir = {d}/crash
keyring = {d}/keyring
[mon]
mon data = {d}/mon/$cluster-$id
[mgr]
mgr data = {d}/mgr/$cluster-$id
keyring = $mgr_data/keyring
[osd]
osd data = {d}/osd/$cluster-$id
keyring = $osd_data/keyring
osd objectstore = bluestore
bluestore block create = true
bluestore block size = {block_size}
bluestore fsck on mount = false
osd memory target = 939524096
"""


def missing_binaries():
    return [b for b in BINARIES if not shutil.which(b)]


def load_bindings():
    """``(rados, rbd)``: Debian's python3-rados/python3-rbd extension modules
    loaded by path; None when they are absent or do not load here."""
    tag = sysconfig.get_config_var('SOABI')          # cpython-311-x86_64-linux-gnu
    saved = {n: sys.modules.get(n) for n in ('rados', 'rbd')}
    mods = []
    try:
        for name in ('rados', 'rbd'):                # rbd imports rados at load
            paths = glob.glob(os.path.join(DIST_PACKAGES, f'{name}.{tag}.so'))
            if not paths:
                return None
            spec = importlib.util.spec_from_file_location(name, paths[0])
            mod = importlib.util.module_from_spec(spec)
            sys.modules[name] = mod
            spec.loader.exec_module(mod)
            mods.append(mod)
    except Exception:                                # noqa: BLE001 - any load failure: absent
        return None
    finally:                                         # leave sys.modules as it was
        for name, mod in saved.items():
            if mod is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = mod
    return tuple(mods)


class CephCluster:
    def __init__(self, root, block_size=10 << 30):
        self.dir = str(root)
        self.conf = os.path.join(self.dir, 'ceph.conf')
        self.fsid = str(uuid.uuid4())
        self.block_size = block_size
        self.mon_ports = None                       # (v2, v1)
        self.procs = {}
        self.timings = {}

    # -- helpers ----------------------------------------------------------

    def _run(self, argv, input=None, timeout=60):
        r = subprocess.run(argv, input=input, capture_output=True, text=True,
                           timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError(f'{" ".join(argv)} failed ({r.returncode}): '
                               f'{r.stderr.strip()[-2000:]}')
        return r.stdout

    def ceph(self, *args, input=None, timeout=60):
        return self._run(['ceph', '-c', self.conf, '--connect-timeout', '20', *args],
                         input=input, timeout=timeout)

    def rbd(self, *args, timeout=60):
        return self._run(['rbd', '-c', self.conf, *args], timeout=timeout)

    def _spawn(self, name, argv):
        log = open(os.path.join(self.dir, 'log', f'{name}.out'), 'ab')
        try:
            self.procs[name] = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                                stdin=subprocess.DEVNULL)
        finally:
            log.close()

    def _wait(self, what, check, timeout):
        end = time.monotonic() + timeout
        while True:
            for name, p in self.procs.items():
                if p.poll() is not None:
                    raise RuntimeError(f'ceph daemon {name} exited ({p.returncode}) while '
                                       f'waiting for {what}: {self.log_tail(name)}')
            try:
                if check():
                    return
            except (RuntimeError, subprocess.TimeoutExpired, ValueError):
                pass
            if time.monotonic() > end:
                raise RuntimeError(f'ceph: {what} not reached in {timeout}s')
            time.sleep(0.5)

    def log_tail(self, name, n=20):
        out = []
        for path in (os.path.join(self.dir, 'log', f'{name}.out'),
                     os.path.join(self.dir, 'log', f'{name.replace("-", ".")}.log')):
            if os.path.exists(path):
                with open(path, errors='replace') as f:
                    out.append(''.join(f.readlines()[-n:]))
        return '\n'.join(out)

    def _mark(self, step, t0):
        self.timings[step] = round(time.monotonic() - t0, 2)

    # -- lifecycle --------------------------------------------------------

    def start(self):
        t0 = time.monotonic()
        d = self.dir
        for sub in ('run', 'log', 'crash', 'mon', 'mgr', 'osd'):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        v2, v1 = free_port(), free_port()
        while v1 == v2:
            v1 = free_port()
        self.mon_ports = (v2, v1)
        with open(self.conf, 'w') as f:
            f.write(CONF.format(fsid=self.fsid, d=d, v2=v2, v1=v1, block_size=self.block_size))
        c = ['-c', self.conf]
        keyring = os.path.join(d, 'keyring')
        monmap = os.path.join(d, 'monmap')
        self._run(['monmaptool', '--create', '--fsid', self.fsid, '--addv', 'a',
                   f'[v2:127.0.0.1:{v2},v1:127.0.0.1:{v1}]', monmap])
        self._run(['ceph-authtool', '--create-keyring', keyring, '--gen-key', '-n', 'mon.',
                   '--cap', 'mon', 'allow *'])
        self._run(['ceph-authtool', keyring, '--gen-key', '-n', 'client.admin',
                   '--cap', 'mon', 'allow *', '--cap', 'osd', 'allow *',
                   '--cap', 'mgr', 'allow *', '--cap', 'mds', 'allow *'])
        self._run(['ceph-mon', *c, '--mkfs', '-i', 'a', '--monmap', monmap,
                   '--keyring', keyring])
        self._spawn('ceph-mon', ['ceph-mon', *c, '-f', '-i', 'a'])
        self._wait('the monitor answering', lambda: self.ceph('mon', 'dump', timeout=30), 60)
        self._mark('mon', t0)

        mgr_dir = os.path.join(d, 'mgr', 'ceph-x')
        os.makedirs(mgr_dir, exist_ok=True)
        self.ceph('auth', 'get-or-create', 'mgr.x', 'mon', 'allow profile mgr', 'osd',
                  'allow *', 'mds', 'allow *', '-o', os.path.join(mgr_dir, 'keyring'))
        self._spawn('ceph-mgr', ['ceph-mgr', *c, '-f', '-i', 'x'])

        osd_uuid = str(uuid.uuid4())
        key = self._run(['ceph-authtool', '--gen-print-key']).strip()
        osd_id = self.ceph('osd', 'new', osd_uuid, '-i', '-',
                           input=json.dumps({'cephx_secret': key})).strip()
        osd_dir = os.path.join(d, 'osd', f'ceph-{osd_id}')
        os.makedirs(osd_dir, exist_ok=True)
        self._run(['ceph-authtool', '--create-keyring', os.path.join(osd_dir, 'keyring'),
                   '--name', f'osd.{osd_id}', '--add-key', key])
        self._run(['ceph-osd', *c, '-i', osd_id, '--mkfs', '--osd-uuid', osd_uuid],
                  timeout=120)
        self._spawn('ceph-osd', ['ceph-osd', *c, '-f', '-i', osd_id])
        self._wait('the OSD up', lambda: json.loads(self.ceph('osd', 'stat', '-f', 'json'))
                   .get('num_up_osds') == 1, 120)
        self._mark('osd up', t0)
        self._wait('HEALTH_OK', lambda: 'HEALTH_OK' in self.ceph('health'), 180)
        self._mark('HEALTH_OK', t0)
        return self

    def create_rbd_pool(self, pool, user=None):
        """An initialised RBD pool; with ``user``, a ``client.<user>`` with the
        rbd profile on that pool, its key added to the cluster keyring."""
        self.ceph('osd', 'pool', 'create', pool, '8', '8')
        self.rbd('pool', 'init', pool)
        if user:
            ring = self.ceph('auth', 'get-or-create', f'client.{user}', 'mon', 'profile rbd',
                             'osd', f'profile rbd pool={pool}', 'mgr',
                             f'profile rbd pool={pool}')
            with open(os.path.join(self.dir, 'keyring'), 'a') as f:
                f.write(ring if ring.endswith('\n') else ring + '\n')

    def stop(self, grace=0):
        """End the daemons this object started, then remove the directory. The
        cluster is thrown away, so by default they are killed at once (SIGTERM
        costs ~5 s of orderly shutdown); ``grace`` seconds of SIGTERM first."""
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM if grace else signal.SIGKILL)
        end = time.monotonic() + grace
        for p in self.procs.values():
            try:
                p.wait(timeout=max(0.1, end - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)
        self.procs.clear()
        shutil.rmtree(self.dir, ignore_errors=True)
