"""The libvirt driver's serial console: the domain XML and the port choice."""
import socket
import xml.etree.ElementTree as ET

import pytest

from iaas.compute.virt.libvirt import config, serial
from iaas.exception import ConsoleTypeUnavailable

INSTANCE = {'uuid': '6f0c3c0e-0000-4000-8000-000000000001', 'vcpus': 1, 'memory_mb': 64}


def _xml(serial_tcp=None):
    return config.domain_xml('iaas-x', INSTANCE, '/d/disk', '/d/console.log',
                             serial_tcp=serial_tcp)


def test_pty_serial_by_default_and_tcp_when_asked():
    dom = ET.fromstring(_xml())
    s = dom.find('devices/serial')
    assert s.get('type') == 'pty' and s.find('log').get('file') == '/d/console.log'
    assert serial.tcp_endpoint(_xml()) is None
    dom = ET.fromstring(_xml(('127.0.0.1', 10007)))
    s = dom.find('devices/serial')
    assert s.get('type') == 'tcp'
    assert s.find('source').attrib == {'mode': 'bind', 'host': '127.0.0.1',
                                       'service': '10007'}
    assert s.find('protocol').get('type') == 'raw'
    assert s.find('log').attrib == {'file': '/d/console.log', 'append': 'on'}
    assert dom.find('devices/console').get('type') == 'tcp'
    assert serial.tcp_endpoint(_xml(('127.0.0.1', 10007))) == ('127.0.0.1', 10007)


def test_ports_skip_other_domains_and_bound_ports(conf, monkeypatch):
    # the bind check is faked: the neighbours of a real bound port may be
    # anyone's on a busy machine (this test failed 2 runs in 10 that way)
    lo, bound = 20000, 20002
    monkeypatch.setattr(serial, '_bindable', lambda host, port: port != bound)
    conf.set_override('port_range', f'{lo}:{bound + 1}', group='serial_console')
    ports = serial.Ports()
    others = [_xml(('127.0.0.1', lo)), _xml()]
    # lo: another domain's; lo+1: free; bound: bound by someone
    assert ports.endpoint('a', None, lambda: others) == ('127.0.0.1', lo + 1)
    assert ports.endpoint('a', None, lambda: others) == ('127.0.0.1', lo + 1)  # kept
    assert ports.endpoint('b', None, lambda: others) == ('127.0.0.1', bound + 1)
    with pytest.raises(ConsoleTypeUnavailable):
        ports.endpoint('c', None, lambda: others)
    ports.release('a')
    assert ports.endpoint('c', None, lambda: others) == ('127.0.0.1', lo + 1)
    # a defined guest keeps its port
    assert ports.endpoint('d', _xml(('127.0.0.1', 4242)), lambda: []) == \
        ('127.0.0.1', 4242)


def test_a_port_someone_listens_on_is_not_bindable():
    with socket.socket() as busy:
        busy.bind(('127.0.0.1', 0))
        busy.listen()
        assert not serial._bindable('127.0.0.1', busy.getsockname()[1])


def test_live_endpoint_needs_a_tcp_serial(conf):
    with pytest.raises(ConsoleTypeUnavailable):
        serial.live_endpoint(_xml())
    conf.set_override('proxyclient_address', '10.0.0.5', group='serial_console')
    assert serial.live_endpoint(_xml(('0.0.0.0', 10009))) == ('10.0.0.5', 10009)
