"""One libvirt connection, re-opened when libvirtd went away.

Every call goes through :meth:`Connection.call`: when the connection is
dead (libvirtd restarted, socket closed), it reconnects (retrying up to
``[libvirt] reconnect_timeout`` seconds while libvirtd comes back) and
runs the call once more.
"""
import logging
import threading
import time

import libvirt

from iaas.compute.virt import driver

LOG = logging.getLogger(__name__)

# Errors that mean "the connection is gone", not "the call failed".
CONN_ERRORS = {libvirt.VIR_ERR_SYSTEM_ERROR, libvirt.VIR_ERR_INTERNAL_ERROR,
               libvirt.VIR_ERR_INVALID_CONN, libvirt.VIR_ERR_RPC,
               libvirt.VIR_ERR_NO_CONNECT}
CONN_DOMAINS = {libvirt.VIR_FROM_REMOTE, libvirt.VIR_FROM_RPC}


def _silence(_ctx, _err):
    """libvirt prints every error to stderr by default; we log what matters."""


libvirt.registerErrorHandler(_silence, None)


class Connection:
    def __init__(self, uri, reconnect_timeout=30):
        self.uri = uri
        self.reconnect_timeout = reconnect_timeout
        self._conn = None
        self._lock = threading.Lock()
        self.reconnects = 0

    def _open(self):
        deadline = time.monotonic() + self.reconnect_timeout
        while True:
            try:
                conn = libvirt.open(self.uri)
                if conn is None:
                    raise libvirt.libvirtError(f'cannot open {self.uri}')
                return conn
            except libvirt.libvirtError as exc:
                if time.monotonic() >= deadline:
                    raise driver.DriverError(f'cannot connect to libvirt at {self.uri}: '
                                             f'{exc}') from exc
                time.sleep(0.5)

    def get(self):
        with self._lock:
            alive = False
            if self._conn is not None:
                try:
                    alive = self._conn.isAlive() == 1
                except libvirt.libvirtError:
                    alive = False
            if not alive:
                if self._conn is not None:
                    LOG.warning('libvirt connection to %s lost; reconnecting', self.uri)
                    self.reconnects += 1
                    try:
                        self._conn.close()
                    except libvirt.libvirtError:
                        pass
                self._conn = self._open()
                LOG.info('connected to libvirt at %s', self.uri)
            return self._conn

    def _drop(self, conn):
        with self._lock:
            if self._conn is conn:
                try:
                    conn.close()
                except libvirt.libvirtError:
                    pass
                self._conn = None
                self.reconnects += 1
                LOG.warning('libvirt connection to %s broken; reconnecting', self.uri)

    def call(self, func):
        """``func(conn)``, retried once on a fresh connection if the link broke."""
        conn = self.get()
        try:
            return func(conn)
        except libvirt.libvirtError as exc:
            if not is_connection_error(exc):
                raise
            self._drop(conn)
        return func(self.get())

    def close(self):
        with self._lock:
            if self._conn is not None:
                try:
                    self._conn.close()
                except libvirt.libvirtError:
                    pass
                self._conn = None


def is_connection_error(exc):
    return (exc.get_error_code() in CONN_ERRORS and
            exc.get_error_domain() in CONN_DOMAINS)
