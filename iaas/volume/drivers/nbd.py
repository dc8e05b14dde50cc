"""The ``nbd`` backend: the file backend's volumes served by ``qemu-nbd``.

Each attachment gets its own ``qemu-nbd --fork --persistent`` bound to
``nbd_host`` on the first free port of ``nbd_port_min``–``nbd_port_max``,
with an export name of its own (``volume-<id>-<random>``); the client sees
the volume's raw bytes whatever its file format. The driver records each
export in ``<nbd_state_dir>/<export>.json`` with qemu-nbd's pid file beside
it, so the servers outlive an iaas-volume restart; at start it re-spawns,
on the same port and name, the exports whose server died (a host reboot),
so clients that reconnect find them. Detaching stops that attachment's
server (the pid is checked to be our qemu-nbd serving that export first).

While a volume is exported its file is open (and locked) by qemu-nbd:
snapshots are then crash-consistent copies, extending is refused, and a
second attachment of a volume to another connector is refused (two
qemu-nbd writing one qcow2 would corrupt it).

*Limits:* no TLS. qemu-nbd can do TLS-PSK, but libvirt's NBD disks only
speak x509 TLS (qemu.conf ``nbd_tls``), so PSK would give the guest side
nothing to use; the export is reachable by anyone who can reach
``nbd_host`` (bind it to a storage network or loopback; export names are
listable by NBD clients, they are not secrets).
"""
import contextlib
import hashlib
import json
import os
import secrets
import signal
import socket
import time

from oslo_config import cfg

from iaas.volume.drivers import base, file
from iaas.volume.drivers.base import DriverError

nbd_opts = [
    cfg.StrOpt('nbd_host', default='127.0.0.1',
               help='Address qemu-nbd listens on and clients are given.'),
    cfg.PortOpt('nbd_port_min', default=10809, help='First port for NBD exports.'),
    cfg.PortOpt('nbd_port_max', default=10999, help='Last port for NBD exports.'),
    cfg.IntOpt('nbd_max_clients', default=4, min=1,
               help='Connections one export accepts at once (qemu-nbd --shared).'),
    cfg.StrOpt('nbd_state_dir', default='$state_path/volume-nbd',
               help='Where the running exports are recorded (pid files).'),
]


class NBDDriver(file.FileDriver):
    protocol = 'nbd'
    options = file.file_opts + nbd_opts

    # -- export records ------------------------------------------------------

    @property
    def state_dir(self):
        return os.path.abspath(self.conf.nbd_state_dir)

    @staticmethod
    def connector_key(connector):
        key = '|'.join(str(connector.get(k) or '') for k in ('host', 'ip', 'initiator'))
        return hashlib.sha256(key.encode()).hexdigest()[:16]

    def _records(self, vid=None):
        """The recorded exports (of volume ``vid``), each with its 'export'."""
        out = []
        if not os.path.isdir(self.state_dir):
            return out
        for name in sorted(os.listdir(self.state_dir)):
            if not name.endswith('.json') or vid and not name.startswith(f'volume-{vid}-'):
                continue
            try:
                with open(os.path.join(self.state_dir, name)) as f:
                    rec = json.load(f)
            except (OSError, ValueError):
                continue
            rec['export'] = name[:-5]
            out.append(rec)
        return out

    def _pid_file(self, export):
        return os.path.join(self.state_dir, f'{export}.pid')

    def _pid(self, export):
        """The pid of the live qemu-nbd serving ``export``, or None."""
        try:
            with open(self._pid_file(export)) as f:
                pid = int(f.read().strip())
            with open(f'/proc/{pid}/cmdline', 'rb') as f:
                argv = f.read().split(b'\0')
        except (OSError, ValueError):
            return None
        if not argv or not os.path.basename(argv[0]).startswith(b'qemu-nbd') or \
                export.encode() not in argv:
            return None
        return pid

    def _write_record(self, export, rec):
        os.makedirs(self.state_dir, mode=0o700, exist_ok=True)
        path = os.path.join(self.state_dir, f'{export}.json')
        with open(path + '.tmp', 'w') as f:
            json.dump(rec, f)
        os.replace(path + '.tmp', path)

    def _drop(self, export):
        pid = self._pid(export)
        if pid:
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while self._pid(export) and time.monotonic() < deadline:
                time.sleep(0.02)
            if self._pid(export):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        for suffix in ('.json', '.pid'):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(self.state_dir, export + suffix))

    # -- qemu-nbd ------------------------------------------------------------

    def _spawn(self, export, port, path, fmt):
        """Start qemu-nbd; False when the port is taken."""
        argv = ['qemu-nbd', '--fork', '--persistent', '-b', self.conf.nbd_host, '-p', str(port),
                '-x', export, '-f', fmt, f'--shared={self.conf.nbd_max_clients}',
                '--cache=writeback', '--pid-file', self._pid_file(export), path]
        rc, _out, err = self._execute(argv, timeout=60, check=False)
        if rc == 0:
            return True
        if 'lock' in err:
            raise DriverError(f'volume file {os.path.basename(path)} is in use by another '
                              'process')
        if 'in use' in err:             # EADDRINUSE
            return False
        raise DriverError(f'qemu-nbd failed ({rc}): {err.strip()[:300]}')

    def _free_ports(self, taken):
        for port in range(self.conf.nbd_port_min, self.conf.nbd_port_max + 1):
            if port in taken:
                continue
            with socket.socket() as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    s.bind((self.conf.nbd_host, port))
                except OSError:
                    continue
            yield port

    def _info(self, volume, rec):
        return {'driver_volume_type': 'nbd',
                'data': {'host': self.conf.nbd_host, 'port': rec['port'],
                         'name': rec['export'], 'format': 'raw', 'volume_id': volume['id']}}

    # -- driver interface ------------------------------------------------------

    def check_setup(self):
        super().check_setup()
        base.require_dir(self.state_dir)
        for rec in self._records():
            export = rec['export']
            if self._pid(export):
                continue
            path = self._path(f'volume-{rec["volume_id"]}')
            if not os.path.exists(path) or \
                    not self._spawn(export, rec['port'], path, rec['format']):
                self._drop(export)

    def _in_use(self, volume):
        return any(self._pid(r['export']) for r in self._records(volume['id']))

    def initialize_connection(self, volume, connector):
        vid = base.check_id(volume['id'])
        path = self.path(volume)
        key = self.connector_key(connector)
        with self._lock(vid):
            if not os.path.exists(path):
                raise base.VolumeNotFoundInDriver(f'volume {vid} has no file')
            for rec in self._records(vid):
                if not self._pid(rec['export']):
                    self._drop(rec['export'])
                elif rec['connector'] == key:
                    return self._info(volume, rec)
                else:
                    raise DriverError(f'volume {vid} is already exported to another '
                                      'connector (qemu-nbd serves one attachment)')
            taken = {r['port'] for r in self._records()}
            export = f'volume-{vid}-{secrets.token_hex(8)}'
            fmt = self.volume_format(volume)
            for port in self._free_ports(taken):
                if self._spawn(export, port, path, fmt):
                    break
            else:
                raise DriverError(f'no free NBD port in {self.conf.nbd_port_min}-'
                                  f'{self.conf.nbd_port_max}')
            rec = {'volume_id': vid, 'connector': key, 'port': port, 'format': fmt}
            self._write_record(export, rec)
        rec['export'] = export
        return self._info(volume, rec)

    def terminate_connection(self, volume, connector):
        vid = base.check_id(volume['id'])
        key = self.connector_key(connector)
        with self._lock(vid):
            for rec in self._records(vid):
                if rec['connector'] == key:
                    self._drop(rec['export'])

    def delete_volume(self, volume):
        vid = base.check_id(volume['id'])
        with self._lock(vid):
            for rec in self._records(vid):
                self._drop(rec['export'])
        super().delete_volume(volume)

    def extend_volume(self, volume, new_size_gb):
        if self._in_use(volume):
            raise DriverError(f'volume {volume["id"]} is exported; detach it to extend it')
        super().extend_volume(volume, new_size_gb)
