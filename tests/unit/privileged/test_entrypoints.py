"""Each privileged entry point checks its own arguments (in the privileged
process; here inline, as the tests run as root)."""
import os
import signal
import sys
import uuid

import pytest

from iaas.network import linux_net
from iaas.privileged import Refused, instances, net_admin, network


def test_inline_as_root_by_default(conf):
    net_admin.reset()
    network.argv_in(None, ['x'])
    with pytest.raises(Refused):
        network.execute(None, ['sh', '-c', 'true'])
    assert net_admin.mode == ('inline' if os.geteuid() == 0 else 'daemon')


def test_linux_net_run_refuses_unknown_commands_before_running(conf):
    ran = []
    net = linux_net.LinuxNet('ns1', runner=lambda argv, **kw: ran.append(argv))
    with pytest.raises(Refused, match="unknown command 'rm'"):
        net.run(['rm', '-rf', '/'])
    with pytest.raises(Refused):
        linux_net.LinuxNet('../../x', runner=lambda argv, **kw: ran.append(argv)).run(
            ['iptables-save'])
    assert ran == []


def test_execute_returns_the_exit_status(conf, monkeypatch):
    class R:
        returncode, stdout, stderr = 3, 'out', 'err'
    seen = []
    monkeypatch.setattr(network.subprocess, 'run', lambda argv, **kw: seen.append(argv) or R)
    assert network.execute('ns1', ['ipset', 'list', '-n']) == (3, 'out', 'err')
    assert seen == [['ip', 'netns', 'exec', 'ns1', 'ipset', 'list', '-n']]
    net = linux_net.LinuxNet('ns1')
    with pytest.raises(linux_net.CommandError, match=r'ipset list -n failed \(3\): err'):
        net.run(['ipset', 'list', '-n'])
    assert net.run(['ipset', 'list', '-n'], check=False) == 'out'


@pytest.mark.parametrize('op, args', [
    ('__init__', []), ('ipr', []), ('link', ['del']), ('close', []),
])
def test_netlink_operations_outside_links_are_refused(conf, op, args):
    with pytest.raises(Refused, match='netlink operation refused'):
        network.netlink(None, op, args)


@pytest.mark.parametrize('op, args, kwargs', [
    ('ensure_bridge', ['br0; reboot'], {}),
    ('delete_link', ['x' * 16], {}),
    ('ensure_address', ['lo', '1.2.3.4/8', 8], {}),
    ('ensure_vlan', ['eth0', 5000, 'br0'], {}),
    ('ensure_vxlan', [0, 'br0'], {}),
    ('ensure_vxlan', [5, 'br0'], {'peers': ['not-an-ip']}),
    ('ensure_veth', ['v0', 'v1'], {'peer_netns': '/proc/1/ns/net'}),
])
def test_netlink_arguments_are_checked(conf, op, args, kwargs):
    class NoKernel:
        def __getattr__(self, name):
            raise AssertionError(f'kernel touched: {name}')
    net = linux_net.LinuxNet('ns1', ipr_factory=lambda ns: NoKernel())
    with pytest.raises(Refused):
        getattr(net, op)(*args, **kwargs)


def test_signal_dnsmasq_refuses_other_processes(conf):
    pid_file = os.path.join(conf.state_path, 'networks', 'h1', 'n1', 'pid')
    with pytest.raises(Refused, match='signal refused'):
        network.signal_dnsmasq(os.getpid(), int(signal.SIGKILL), pid_file)
    with pytest.raises(Refused, match='pid file refused'):
        network.signal_dnsmasq(os.getpid(), int(signal.SIGHUP), '/run/sshd.pid')
    with pytest.raises(Refused, match='pid refused'):
        network.signal_dnsmasq(1, int(signal.SIGTERM), pid_file)
    # this very process (pytest) is no dnsmasq: not signalled
    with pytest.raises(Refused, match='is not the dnsmasq'):
        network.signal_dnsmasq(os.getpid(), int(signal.SIGHUP), pid_file)


def test_instance_entry_points_take_a_uuid_not_a_path(conf):
    for bad in ('../../etc', '/etc/shadow', 'x', None):
        with pytest.raises(Refused, match='instance uuid refused'):
            instances.read_console(bad, 100)
    u = str(uuid.uuid4())
    with pytest.raises(Refused, match='snapshot target refused'):
        instances.snapshot_disk(u, '../../../etc/passwd')
    with pytest.raises(Refused, match='disk size refused'):
        instances.grow_disk(u, -1)


def test_read_console_tail(conf):
    u = str(uuid.uuid4())
    assert instances.read_console(u, 10) is None
    d = os.path.join(conf.compute.instances_path, u)
    os.makedirs(d)
    with open(os.path.join(d, 'console.log'), 'wb') as f:
        f.write(b'0123456789abcdef')
    assert instances.read_console(u, 6) == b'abcdef'


def test_daemon_mode_starts_the_helper_sudoers_allows(conf, tmp_path):
    """Without [privsep] helper_command: sudo, the helper beside this
    Python, the service's own config files (what etc/sudoers.d/iaas names)."""
    cfg = tmp_path / 'iaas.conf'
    cfg.write_text('[privsep]\nmode = daemon\n')
    conf(['--config-file', str(cfg)], project='iaas')
    try:
        net_admin.configure(conf)
        assert net_admin.mode == 'daemon' and net_admin.client_mode
        cmd = net_admin.helper_command('/run/x.sock')
        assert cmd == ['sudo', os.path.join(os.path.dirname(sys.executable),
                                            'iaas-privsep-helper'),
                       '--config-file', str(cfg), '--privsep_context',
                       'iaas.privileged.net_admin', '--privsep_sock_path', '/run/x.sock']
        conf.set_override('mode', 'inline', group='privsep')
        net_admin.configure(conf)
        assert net_admin.mode == 'inline' and not net_admin.client_mode
    finally:
        conf.clear_override('mode', group='privsep')
        net_admin.reset()
