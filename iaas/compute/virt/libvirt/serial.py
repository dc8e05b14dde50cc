"""Serial ports of libvirt guests as TCP endpoints (``[serial_console]``).

With the serial console enabled, a guest's first serial port is
``<serial type='tcp'>`` bound on ``proxyclient_address`` at a port of
``port_range`` (its log file stays: console.log works either way). A
port is free when no domain's definition names it, no spawn of this
process holds it, and a bind to it works.
"""
import errno
import socket
import threading
import xml.etree.ElementTree as ET

from iaas.conf import CONF
from iaas.exception import ConsoleTypeUnavailable


def port_range():
    lo, hi = (int(x) for x in CONF.serial_console.port_range.split(':'))
    if not 0 < lo <= hi < 65536:
        raise ValueError(f'[serial_console] port_range {lo}:{hi} is not a port range')
    return lo, hi


def tcp_endpoint(xml):
    """(host, port) of the first TCP serial port in a domain XML, or None."""
    if not xml:
        return None
    for serial in ET.fromstring(xml).findall('devices/serial'):
        if serial.get('type') != 'tcp':
            continue
        src = serial.find('source')
        if src is not None and src.get('mode', 'bind') == 'bind' and \
                (src.get('service') or '').isdigit():
            return src.get('host') or CONF.serial_console.proxyclient_address, \
                int(src.get('service'))
    return None


def _bindable(host, port):
    family = socket.AF_INET6 if ':' in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


class Ports:
    """The ports this compute host's guests hold (reserved from the
    choice until the guest is destroyed)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._held = {}            # instance uuid → port

    def endpoint(self, uuid, defined_xml, domain_xmls):
        """(host, port) for ``uuid``'s serial port: the one its definition
        or an earlier spawn here holds, else a free one of port_range.
        ``domain_xmls``: a callable giving every domain's XML."""
        host = CONF.serial_console.proxyclient_address
        with self._lock:
            if uuid in self._held:
                return host, self._held[uuid]
            known = tcp_endpoint(defined_xml)
            if known is not None:
                self._held[uuid] = known[1]
                return host, known[1]
            used = set(self._held.values())
            for xml in domain_xmls():
                ep = tcp_endpoint(xml)
                if ep is not None:
                    used.add(ep[1])
            lo, hi = port_range()
            for port in range(lo, hi + 1):
                if port not in used and _bindable(host, port):
                    self._held[uuid] = port
                    return host, port
        raise ConsoleTypeUnavailable(f'No free serial console port in {lo}:{hi} on '
                                     'this host.')

    def release(self, uuid):
        with self._lock:
            self._held.pop(uuid, None)


def live_endpoint(xml):
    """(host, port) the proxy connects to for a running domain's XML."""
    ep = tcp_endpoint(xml)
    if ep is None:
        raise ConsoleTypeUnavailable('Unavailable console type serial (the guest was '
                                     'started without a serial console port; a hard '
                                     'reboot gives it one).')
    host, port = ep
    if host in ('0.0.0.0', '::', ''):
        host = CONF.serial_console.proxyclient_address
    return host, port
