"""Network namespaces standing in for hosts, guests and the outside world.

Every name carries the run's prefix; :meth:`Topology.cleanup` kills the
processes left in our namespaces (dnsmasq, test servers, DHCP clients) and
deletes the namespaces (their links go with them), also after a failure.
"""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid

UDHCPC_SCRIPT = """#!/bin/sh
case "$1" in
  deconfig) ip addr flush dev "$interface"; ip link set "$interface" up ;;
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/$subnet" dev "$interface"
    if [ -n "$router" ]; then ip route replace default via "${router%% *}" dev "$interface"; fi
    ;;
esac
exit 0
"""

TCP_SERVER = textwrap.dedent("""
    import socket, sys
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('0.0.0.0', int(sys.argv[2]))); s.listen(16)
    while True:
        c, a = s.accept()
        c.sendall((sys.argv[1] + ' ' + a[0] + '\\n').encode()); c.close()
""")

TCP_CLIENT = textwrap.dedent("""
    import socket, sys
    try:
        c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=float(sys.argv[3]))
        print(c.recv(200).decode().strip())
    except OSError as e:
        print('FAIL', e)
""")


def sh(*argv, check=True, timeout=60, input=None):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, input=input)
    if check and r.returncode != 0:
        raise AssertionError(f'{" ".join(argv)} failed: {r.stdout}{r.stderr}')
    return r


class Topology:
    def __init__(self, tmp_path, prefix=None):
        self.prefix = prefix or 'n8' + uuid.uuid4().hex[:6]
        self.tmp_path = tmp_path
        self.namespaces = []
        self.procs = []
        self.root_links = []       # root-namespace links (see root_bridge)
        self.script = tmp_path / 'udhcpc.sh'
        self.script.write_text(UDHCPC_SCRIPT)
        self.script.chmod(0o755)
        (tmp_path / 'tcp_server.py').write_text(TCP_SERVER)
        (tmp_path / 'tcp_client.py').write_text(TCP_CLIENT)

    def ns(self, short):
        name = f'{self.prefix}-{short}'
        if name not in self.namespaces:
            sh('ip', 'netns', 'add', name)
            self.namespaces.append(name)
            self.run(name, 'ip', 'link', 'set', 'lo', 'up')
        return name

    def run(self, ns, *argv, check=True, timeout=60, input=None):
        return sh('ip', 'netns', 'exec', ns, *argv, check=check, timeout=timeout, input=input)

    def veth(self, ns_a, name_a, ns_b, name_b):
        """A veth pair with ends ``name_a`` in ``ns_a`` and ``name_b`` in ``ns_b``."""
        tmp = 'v' + uuid.uuid4().hex[:10]
        self.run(ns_a, 'ip', 'link', 'add', name_a, 'type', 'veth', 'peer', 'name', tmp)
        self.run(ns_a, 'ip', 'link', 'set', tmp, 'netns', ns_b)
        self.run(ns_b, 'ip', 'link', 'set', tmp, 'name', name_b)
        self.run(ns_a, 'ip', 'link', 'set', name_a, 'up')
        self.run(ns_b, 'ip', 'link', 'set', name_b, 'up')

    def addr(self, ns, dev, cidr):
        self.run(ns, 'ip', 'addr', 'add', cidr, 'dev', dev)

    def guest(self, short, host_ns, nic):
        """A guest: a namespace whose eth0 (with the port's MAC) is a veth
        whose host end (the port's devname) is in the port's bridge."""
        g = self.ns(short)
        self.veth(host_ns, nic['devname'], g, 'eth0')
        self.run(g, 'ip', 'link', 'set', 'eth0', 'down')
        self.run(g, 'ip', 'link', 'set', 'eth0', 'address', nic['mac'])
        self.run(g, 'ip', 'link', 'set', 'eth0', 'up')
        self.run(host_ns, 'ip', 'link', 'set', nic['devname'], 'master', nic['bridge'])
        return g

    def dhcp(self, g, tries=15):
        """Run a DHCP client in guest ``g``; return the address it got (or None)."""
        self.run(g, 'busybox', 'udhcpc', '-i', 'eth0', '-q', '-n', '-t', str(tries), '-T', '1',
                 '-s', str(self.script), check=False, timeout=tries * 3 + 10)
        out = self.run(g, 'ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0').stdout.split()
        return out[3].split('/')[0] if len(out) > 3 else None

    def root_bridge(self, name, host_ns, host_bridge):
        """A bridge ``name`` (run prefix) in the root namespace, where libvirt
        plugs guests, joined by a veth to ``host_bridge`` in ``host_ns``: no
        address (not even IPv6 link-local), no uplink; removed by cleanup()."""
        assert name.startswith(self.prefix) and len(name) <= 15, name
        n = len(self.root_links)
        outer, inner = f'{self.prefix}r{n}', f'{self.prefix}u{n}'
        sh('ip', 'link', 'add', name, 'type', 'bridge')
        self.root_links.append(name)
        sh('ip', 'link', 'add', outer, 'type', 'veth', 'peer', 'name', inner)
        self.root_links.append(outer)
        sh('ip', 'link', 'set', inner, 'netns', host_ns)
        for dev in (name, outer):
            sh('ip', 'link', 'set', dev, 'addrgenmode', 'none')
        sh('ip', 'link', 'set', outer, 'master', name, 'up')
        sh('ip', 'link', 'set', name, 'up')
        self.run(host_ns, 'ip', 'link', 'set', inner, 'master', host_bridge, 'up')
        return name

    def ping(self, ns, ip, count=1, wait=2, source=None):
        src = ['-I', source] if source else []
        return self.run(ns, 'busybox', 'ping', '-c', str(count), '-W', str(wait), *src, ip,
                        check=False).returncode == 0

    def reach(self, ns, ip, timeout=15):
        """True once a ping from ``ns`` to ``ip`` is answered (False after
        ``timeout``): for checks that something works, where the first
        packets may wait for ARP or a sync."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ping(ns, ip):
                return True
        return False

    def unreachable(self, ns, ip, source=None):
        """True when three pings (3 s) get no answer."""
        return not self.ping(ns, ip, count=3, wait=3, source=source)

    def ssh(self, ns, key, target, command, timeout=10):
        """``ssh -i key target command`` from ``ns``: no host key checks, no
        prompts, ``timeout`` seconds to connect."""
        return self.run(ns, 'ssh', '-i', str(key), '-o', 'StrictHostKeyChecking=no',
                        '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes',
                        '-o', f'ConnectTimeout={timeout}', target, command,
                        check=False, timeout=timeout + 30)

    def serve_tcp(self, ns, name, port):
        p = subprocess.Popen(['ip', 'netns', 'exec', ns, sys.executable,
                              str(self.tmp_path / 'tcp_server.py'), name, str(port)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs.append(p)
        return p

    def connect(self, ns, ip, port, timeout=3):
        """What a TCP server at ip:port says ('NAME PEER'), or 'FAIL ...'."""
        return self.run(ns, sys.executable, str(self.tmp_path / 'tcp_client.py'), ip, str(port),
                        str(timeout), timeout=timeout + 30).stdout.strip()

    def wait(self, what, predicate, timeout=30, interval=0.3):
        deadline = time.monotonic() + timeout
        while True:
            v = predicate()
            if v:
                return v
            if time.monotonic() > deadline:
                raise AssertionError(f'timed out waiting for {what}')
            time.sleep(interval)

    def cleanup(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait(10)
        for ns in reversed(self.namespaces):
            pids = sh('ip', 'netns', 'pids', ns, check=False).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            sh('ip', 'netns', 'del', ns, check=False)
        self.namespaces.clear()
        for name in self.root_links:
            sh('ip', 'link', 'del', name, check=False)
        self.root_links.clear()


# The instance a port is made for exists (the conductor makes ports only in
# their instance's project): a bare row, as the compute API would have made.
ENSURE_INSTANCE = ('from iaas.db import instances\n'
                   'if a["method"] == "allocate_for_instance":\n'
                   '    try:\n'
                   '        instances.get(a["instance_uuid"])\n'
                   '    except instances.InstanceNotFound:\n'
                   '        instances.create_with_quota(a["project_id"], [{\n'
                   '            "uuid": a["instance_uuid"], "project_id": a["project_id"],\n'
                   '            "user_id": "u", "display_name": a["instance_uuid"],\n'
                   '            "host": a["host"], "vcpus": 1, "memory_mb": 64}])\n')


def rpc_call(config_file, method, **kwargs):
    """Call a network rpcapi method from a separate process on the cloud's bus."""
    code = ('import json, sys\n'
            'from iaas.conf import CONF, register_all\n'
            'register_all(CONF)\n'
            'CONF(["--config-file", sys.argv[1]], project="iaas")\n'
            'from iaas.context import get_admin_context\n'
            'from iaas.network import rpcapi\n'
            'a = json.loads(sys.argv[2])\n' + ENSURE_INSTANCE +
            'print(json.dumps(getattr(rpcapi.NetworkAPI(), a.pop("method"))('
            'get_admin_context(), **a)))\n')
    r = sh(sys.executable, '-c', code, str(config_file),
           json.dumps({'method': method, **kwargs}), timeout=120)
    return json.loads(r.stdout)


def db_call(config_file, func, *args):
    """Call ``iaas.db.networks.<func>(*args)`` against the cloud's database."""
    code = ('import json, sys\n'
            'from iaas.conf import CONF, register_all\n'
            'register_all(CONF)\n'
            'CONF(["--config-file", sys.argv[1]], project="iaas")\n'
            'from iaas.db import networks\n'
            'print(json.dumps(getattr(networks, sys.argv[2])(*json.loads(sys.argv[3]))))\n')
    r = sh(sys.executable, '-c', code, str(config_file), func, json.dumps(list(args)))
    return json.loads(r.stdout)
