"""The EC2 Query API end to end, from outside, with real parts.

Every daemon runs as its own process over real RabbitMQ (a private
exchange) and a fresh PostgreSQL database (``start_compute_cloud``):
iaas-api (identity, compute, network, volume, metadata and EC2 on free
ports), iaas-image, iaas-scheduler, iaas-conductor and, depending on the
test, iaas-compute, iaas-network and iaas-volume. Users get their EC2
credentials from the identity API (``openstack ec2 credentials create``).

* ``test_boto3_life_cycle_of_real_guests``: unmodified boto3 drives a
  full life cycle of real TCG guests of the busybox test image
  (``compute_driver = libvirt``) on a project network that iaas-network
  serves inside a namespace (flat_dhcp): key pair, security group, user
  data, console markers (boot count, DHCP lease, the metadata service's
  instance id, uuid and public key), a floating IP pinged from an
  "external" namespace once an ICMP rule allows it, a volume the guest
  sees and marks, stop/start/reboot, an AMI made from the guest that
  boots again (its root disk carries the boot count), and the teardown of
  everything through EC2 calls. Another project and a wrong secret are
  refused on the way.
* ``test_aws_cli_and_errors_on_fake_driver``: the AWS CLI (awscli from
  PyPI, the ``test`` extra) against the same process-based cloud with the
  fake compute driver: describe-regions, describe-images, run-instances,
  describe-instances (with ``--filters``), terminate-instances; wrong
  secret → AuthFailure, another project's instance →
  InvalidInstanceID.NotFound (CLI and boto3).

At the end of the guest test (so the life cycle runs first) what the
metadata service tells the guest about itself (instance-id, ami-id,
security-groups, …) is compared with what the EC2 API says of the same
instance.

iaas-network runs as the compute host's network service (host cmp1): the
firewall of a port is made by the network service of the port's host.

Test plumbing, not product (as in tests/probe/network/test_guests_e2e.py):
libvirt plugs guests into root-namespace bridges, so the test makes a root
bridge with the network's bridge name (run prefix, no address) joined by
a veth to the bridge iaas-network made in the "host" namespace. Nothing is
added to the root namespace's addresses, routes or iptables. Domains, the
instances directory, namespaces, root links, daemons, the database and
the bus are removed even when a test fails.

The busybox test image does not print its user data, so the user data is
checked where the guest reads it: the config drive ISO attached to the
domain, and the metadata service's answer for the guest's address.
"""
import json
import os
import shutil
import subprocess
import uuid

import boto3
import botocore.config
import botocore.exceptions
import pytest
import requests

from tests.conftest import RABBIT
from tests.probe.compute.helpers import Rest, deadline_poll, start_compute_cloud
from tests.probe.fixtures import BIN, wait_for_port
from tests.probe.network.netns import Topology, db_call

try:
    from tests.probe.libvirt.conftest import (  # noqa: F401  (fixtures)
        guest_env,
        libvirt,
        libvirtd,
        libvirtd_running,
        marker_lines,
        test_image,
    )
except pytest.skip.Exception as _exc:    # no libvirt-python: only the guest test skips
    _NO_LIBVIRT = str(_exc)
    libvirt = None

    @pytest.fixture
    def guest_env():
        pytest.skip(_NO_LIBVIRT)

    @pytest.fixture
    def test_image():
        pytest.skip(_NO_LIBVIRT)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]
BOOT = 180            # seconds for a TCG busybox guest to print a marker
HOTPLUG = 90          # seconds for the guest to notice a disk come or go
PASSWORD = 'ec2-probe-pw-1'
FLAVOR = 'probe.nano'
PUBLIC_CIDR, PUBLIC_GW, EXT_ADDR = '172.24.9.0/24', '172.24.9.1/24', '172.24.9.254/24'
PROJECT_CIDR = '10.99.0.0/24'


# -- helpers --------------------------------------------------------------------

class Tenant:
    """A member user of its own project with an EC2 credential."""

    def __init__(self, cc, name, project):
        cc.openstack('project', 'create', project)
        cc.openstack('user', 'create', '--project', project, '--password', PASSWORD, name)
        cc.openstack('role', 'add', '--project', project, '--user', name, 'member',
                     json_out=False)
        self.env = cc.env(username=name, password=PASSWORD, project=project)
        cred = cc.openstack('ec2', 'credentials', 'create', env=self.env)
        self.access, self.secret = cred['access'], cred['secret']
        self.project_id = cred['project_id']
        self.endpoint = f'http://127.0.0.1:{cc.ports["ec2_port"]}'
        self.ec2 = client(self.endpoint, self.access, self.secret)


def client(endpoint, access, secret):
    """Unmodified boto3, no retries (a refusal is seen as it is)."""
    return boto3.client('ec2', endpoint_url=endpoint, region_name='RegionOne',
                        aws_access_key_id=access, aws_secret_access_key=secret,
                        config=botocore.config.Config(retries={'max_attempts': 1},
                                                      read_timeout=180))


def call(ec2, method, **kw):
    """``ec2.<method>(**kw)``; an action this cloud still answers
    NotImplemented skips the rest of the test, naming the action."""
    try:
        return getattr(ec2, method)(**kw)
    except botocore.exceptions.ClientError as exc:
        if exc.response['Error']['Code'] == 'NotImplemented':
            action = ec2.meta.method_to_api_mapping.get(method, method)
            pytest.skip(f'EC2 action {action} is not implemented yet')
        raise


def error_code(fn, **kw):
    """The EC2 error code ``fn(**kw)`` is refused with (fails if it is not)."""
    with pytest.raises(botocore.exceptions.ClientError) as info:
        fn(**kw)
    return info.value.response['Error']['Code']


def instance(ec2, iid):
    res = call(ec2, 'describe_instances', InstanceIds=[iid])['Reservations']
    return res[0]['Instances'][0]


def wait_state(ec2, iid, state, timeout=300):
    def check():
        inst = instance(ec2, iid)
        return inst if inst['State']['Name'] == state else None
    return deadline_poll(check, timeout, interval=1, what=f'{iid} {state}')


def console(ec2, iid):
    # botocore decodes GetConsoleOutput's base64 Output itself
    return call(ec2, 'get_console_output', InstanceId=iid).get('Output') or ''


def console_line(ec2, iid, text, timeout=BOOT, after=0):
    """The ``after``-th (0: first) complete console line holding ``text``,
    from ``text`` on."""
    def check():
        out = console(ec2, iid)
        out = out[:out.rfind('\n') + 1]
        lines = [ln[ln.index(text):].strip() for ln in out.splitlines() if text in ln]
        return lines[after] if len(lines) > after else None
    return deadline_poll(check, timeout, interval=1, what=f'{text!r} #{after} on {iid}')


def boot_markers(ec2, iid, count):
    def check():
        lines = marker_lines(console(ec2, iid))
        return lines if len(lines) >= count else None
    return deadline_poll(check, BOOT, interval=1, what=f'{count} boot markers on {iid}')


def guest_disks(text):
    """{serial: device} of the last IAAS-TEST-IMAGE-DISKS line (None: none yet)."""
    lines = [ln for ln in text.splitlines() if 'IAAS-TEST-IMAGE-DISKS' in ln]
    if not lines:
        return None
    out = {}
    for entry in lines[-1].split('IAAS-TEST-IMAGE-DISKS', 1)[1].split():
        dev, _, rest = entry.partition('=')
        out[rest.rpartition(':')[0]] = dev
    return out


def meta(cc, address, path):
    """The metadata server's /latest/<path> for the guest at ``address``
    (asked as a trusted proxy would, from 127.0.0.1)."""
    r = requests.get(f'http://127.0.0.1:{cc.ports["metadata_port"]}/latest/{path}',
                     headers={'X-Forwarded-For': address}, timeout=30)
    assert r.status_code == 200, (path, r.status_code, r.text)
    return r.text


def volume(ec2, vid):
    return call(ec2, 'describe_volumes', VolumeIds=[vid])['Volumes'][0]


def wait_volume(ec2, vid, state, timeout=120):
    def check():
        v = volume(ec2, vid)
        if v['State'] == 'error':
            raise AssertionError(f'volume {vid} went to error: {v}')
        return v if v['State'] == state else None
    return deadline_poll(check, timeout, interval=0.5, what=f'volume {vid} {state}')


def iptables_rules(topo, ns):
    return [ln for ln in topo.run(ns, 'iptables-save').stdout.splitlines()
            if ln.startswith('-A ')]


def nat_rules(topo, ns):
    return [ln for ln in topo.run(ns, 'iptables-save', '-t', 'nat').stdout.splitlines()
            if ln.startswith('-A ')]


def delete_queues(cc, names):
    """Best effort: the durable queues of the daemons ComputeCloud.stop does
    not know (iaas-network, iaas-volume) off the shared broker."""
    import kombu
    ex = cc.cloud.config_args.get('control_exchange')
    try:
        with kombu.Connection(RABBIT, connect_timeout=5) as conn:
            for name in names:
                ch = conn.channel()           # a missing queue closes its channel
                try:
                    ch.queue_delete(f'{ex}.{name}')
                    ch.close()
                except Exception:  # noqa: BLE001 - leftovers are untidy, not harmful
                    pass
    except Exception:  # noqa: BLE001
        pass


def start_volume_host(cc, host, volumes_dir):
    cfg = cc.cloud.host_config(host, {
        'volume': {'enabled_backends': 'file'},
        'backend_file': {'volume_driver': 'file', 'volumes_dir': volumes_dir}},
        database=False)
    cc.cloud.start('iaas-volume', config_file=cfg, wait_port=False,
                   key=f'iaas-volume-{host}')

    def up():
        return [r for r in cc.openstack('volume', 'service', 'list')
                if r['Host'].split('@')[0] == host and r['State'] == 'up']
    deadline_poll(up, 60, interval=0.5, what=f'volume service {host} up')


# -- the lab: libvirt guests, network namespaces, every daemon a process ----------

class Lab:
    def __init__(self, tmp_path, topo, cc, guest_env):
        self.tmp_path, self.topo, self.cc, self.guest_env = tmp_path, topo, cc, guest_env
        self.host, self.ext = topo.ns('host'), topo.ns('ext')

    def project_network(self, env, name, cidr):
        """A project network + subnet + router to ``public`` (made by the
        project's user), its bridge plugged into the root namespace."""
        os_ = self.cc.openstack
        net = os_('network', 'create', name, env=env)
        os_('subnet', 'create', '--network', name, '--subnet-range', cidr, f'{name}-sub',
            env=env)
        os_('router', 'create', f'{name}-router', env=env)
        os_('router', 'set', '--external-gateway', 'public', f'{name}-router', env=env,
            json_out=False)
        os_('router', 'add', 'subnet', f'{name}-router', f'{name}-sub', env=env,
            json_out=False)
        bridge = db_call(self.cc.config_file, 'network_get', net['id'])['bridge']
        self.topo.wait(f'bridge {bridge} in the host namespace', lambda: self.topo.run(
            self.host, 'ip', 'link', 'show', bridge, check=False).returncode == 0)
        self.topo.root_bridge(bridge, self.host, bridge)
        return net


@pytest.fixture
def lab(tmp_path, guest_env, test_image):  # noqa: F811
    if not shutil.which('dnsmasq') or not shutil.which('ssh-keygen'):
        pytest.skip('needs dnsmasq and ssh-keygen')
    topo = Topology(tmp_path, prefix='e2' + uuid.uuid4().hex[:6])
    cc = None
    try:
        host, ext = topo.ns('host'), topo.ns('ext')
        topo.veth(host, 'pub0', ext, 'eth0')
        topo.addr(host, 'pub0', PUBLIC_GW)
        topo.addr(ext, 'eth0', EXT_ADDR)
        cc = start_compute_cloud(tmp_path, hosts=('cmp1',), sections={
            'network': {'network_manager': 'flat_dhcp', 'netns': host,
                        'dnsmasq_user': 'root', 'public_interface': 'pub0',
                        'bridge_prefix': topo.prefix},
            'compute': {'compute_driver': 'libvirt',
                        'instances_path': guest_env.instances_path,
                        'max_concurrent_builds': 2, 'shutdown_timeout': 60},
            'libvirt': {'domain_prefix': guest_env.prefix, 'image_cache_interval': 0},
            'api': {'user_write_rate': 0}})
        wait_for_port(cc.ports['ec2_port'], what='EC2 API')
        # the compute host's own iaas-network: the firewall of a port is made
        # by the network service of the port's host (and serves gateway + DHCP)
        cc.cloud.start('iaas-network', wait_port=False,
                       config_file=cc.cloud.host_config('cmp1', database=False))
        topo.wait('iaas-network', lambda: any('iaas-FORWARD' in x
                                              for x in iptables_rules(topo, host)),
                  timeout=60)
        vdir = os.path.join(guest_env.instances_path, 'volumes-vol1')
        os.makedirs(vdir)
        os.chmod(vdir, 0o755)          # qemu (libvirt-qemu) must reach the volume files
        start_volume_host(cc, 'vol1', vdir)
        cc.openstack('network', 'create', '--external', 'public')
        cc.openstack('subnet', 'create', '--network', 'public', '--subnet-range',
                     PUBLIC_CIDR, '--no-dhcp', '--gateway', 'none', '--allocation-pool',
                     'start=172.24.9.10,end=172.24.9.30', 'public-sub')
        cc.openstack('image', 'create', '--disk-format', 'qcow2', '--container-format',
                     'bare', '--public', '--file', test_image, 'busybox', timeout=300)
        cc.openstack('flavor', 'create', '--ram', '128', '--disk', '1', '--vcpus', '1',
                     FLAVOR)
        yield Lab(tmp_path, topo, cc, guest_env)
    finally:
        try:
            if cc is not None:
                cc.stop()            # and: no daemon logged a traceback
        finally:
            if cc is not None:
                delete_queues(cc, ['network', 'network.cmp1', 'volume', 'volume.vol1'])
            topo.cleanup()


def test_boto3_life_cycle_of_real_guests(lab, guest_env, tmp_path):
    cc, topo = lab.cc, lab.topo
    alice, bob = Tenant(cc, 'alice', 'alpha'), Tenant(cc, 'bob', 'beta')
    ec2 = alice.ec2
    lab.project_network(alice.env, 'vmnet', PROJECT_CIDR)

    regions = call(ec2, 'describe_regions')['Regions']
    assert [r['RegionName'] for r in regions] == ['RegionOne'], regions
    zone = call(ec2, 'describe_availability_zones')['AvailabilityZones'][0]['ZoneName']

    # the image uploaded through the image API, as an AMI
    images = [i for i in call(ec2, 'describe_images')['Images'] if i['Name'] == 'busybox']
    assert len(images) == 1 and images[0]['ImageId'].startswith('ami-'), images
    assert images[0]['State'] == 'available'
    ami = images[0]['ImageId']

    # key pair: EC2 makes it and hands out the private key once
    kp = call(ec2, 'create_key_pair', KeyName='k1')
    key_file = tmp_path / 'k1.pem'
    key_file.write_text(kp['KeyMaterial'])
    key_file.chmod(0o600)
    public_key = subprocess.run(['ssh-keygen', '-y', '-f', str(key_file)], check=True,
                                capture_output=True, text=True).stdout.split()[:2]
    assert [k['KeyName'] for k in call(ec2, 'describe_key_pairs')['KeyPairs']] == ['k1']

    # a security group that lets in SSH only (ICMP comes later)
    sg = call(ec2, 'create_security_group', GroupName='web',
              Description='ec2 probe')['GroupId']
    assert sg.startswith('sg-')
    call(ec2, 'authorize_security_group_ingress', GroupId=sg, IpPermissions=[
        {'IpProtocol': 'tcp', 'FromPort': 22, 'ToPort': 22,
         'IpRanges': [{'CidrIp': '0.0.0.0/0'}]}])

    # RunInstances: a real TCG guest with user data (boto3 base64-encodes it)
    user_data = f'#!/bin/sh\necho IAAS-EC2-USERDATA-{uuid.uuid4().hex}\n'
    run = call(ec2, 'run_instances', ImageId=ami, MinCount=1, MaxCount=1,
               InstanceType=FLAVOR, KeyName='k1', SecurityGroupIds=[sg],
               UserData=user_data, Placement={'AvailabilityZone': zone})
    i1 = run['Instances'][0]['InstanceId']
    assert i1.startswith('i-') and run['Instances'][0]['State']['Name'] == 'pending'
    inst = wait_state(ec2, i1, 'running')
    assert (inst['ImageId'], inst['InstanceType'], inst['KeyName']) == (ami, FLAVOR, 'k1')
    fixed = inst['PrivateIpAddress']
    assert fixed and fixed.startswith('10.99.0.'), inst
    assert [g['GroupId'] for g in inst['SecurityGroups']] == [sg], (
        inst, cc.openstack('port', 'list', '--long', env=alice.env),
        cc.openstack('server', 'list', '--long', env=alice.env))

    first = boot_markers(ec2, i1, 1)[0]
    assert first.startswith('IAAS-TEST-IMAGE-BOOTED uuid=') and first.endswith(' boot=1')
    u1 = first.split()[1].split('=', 1)[1]
    assert guest_env.state(u1) == libvirt.VIR_DOMAIN_RUNNING
    assert console_line(ec2, i1, 'IAAS-TEST-IMAGE-DHCP') == f'IAAS-TEST-IMAGE-DHCP eth0 {fixed}'
    # the metadata service told the guest its uuid and our key pair's public key
    marker = console_line(ec2, i1, 'IAAS-TEST-IMAGE-METADATA')
    head, _, key = marker.partition(' key=')
    md = dict(f.split('=', 1) for f in head.split()[1:])
    assert md['uuid'] == u1 and key.split()[:2] == public_key, marker
    # the user data: on the config drive the guest mounts, and at the metadata service
    with open(os.path.join(guest_env.instances_path, u1, 'disk.config'), 'rb') as f:
        assert user_data.encode() in f.read()
    assert meta(cc, fixed, 'user-data') == user_data
    # what the metadata service tells the guest about itself should be what the
    # EC2 API says (checked at the end, so the rest of the life cycle runs)
    mismatches = [
        (what, got, want) for what, got, want in [
            ('guest console instance-id', md['instance-id'], i1),
            ('meta-data/instance-id', meta(cc, fixed, 'meta-data/instance-id'), i1),
            ('meta-data/ami-id', meta(cc, fixed, 'meta-data/ami-id'), ami),
            ('meta-data/security-groups', meta(cc, fixed, 'meta-data/security-groups'),
             'web'),
            ('meta-data/instance-type', meta(cc, fixed, 'meta-data/instance-type'), FLAVOR),
            ('meta-data/local-ipv4', meta(cc, fixed, 'meta-data/local-ipv4'), fixed),
            ('meta-data/placement/availability-zone',
             meta(cc, fixed, 'meta-data/placement/availability-zone'), zone)]
        if got != want]

    # from outside: another project and a wrong secret are refused
    assert error_code(bob.ec2.describe_instances, InstanceIds=[i1]) == \
        'InvalidInstanceID.NotFound'
    assert error_code(bob.ec2.terminate_instances, InstanceIds=[i1]) == \
        'InvalidInstanceID.NotFound'
    assert error_code(bob.ec2.get_console_output, InstanceId=i1) == \
        'InvalidInstanceID.NotFound'
    assert call(bob.ec2, 'describe_instances')['Reservations'] == []
    wrong = client(alice.endpoint, alice.access, alice.secret[:-1] + 'x')
    assert error_code(wrong.describe_instances) == 'AuthFailure'
    assert error_code(wrong.terminate_instances, InstanceIds=[i1]) == 'AuthFailure'
    assert instance(ec2, i1)['State']['Name'] == 'running'

    # an elastic IP, reached from the external namespace once ICMP is allowed
    alloc = call(ec2, 'allocate_address', Domain='vpc')
    public_ip, alloc_id = alloc['PublicIp'], alloc['AllocationId']
    assert public_ip.startswith('172.24.9.'), alloc
    assoc = call(ec2, 'associate_address', InstanceId=i1,
                 AllocationId=alloc_id)['AssociationId']
    deadline_poll(lambda: instance(ec2, i1).get('PublicIpAddress') == public_ip, 30,
                  what=f'{i1} shows {public_ip}')
    addr = call(ec2, 'describe_addresses', AllocationIds=[alloc_id])['Addresses'][0]
    assert (addr['InstanceId'], addr['PrivateIpAddress']) == (i1, fixed), addr
    assert topo.unreachable(lab.ext, public_ip), json.dumps([     # the group: SSH only
        call(ec2, 'describe_security_groups', GroupIds=[sg])['SecurityGroups'],
        cc.openstack('security', 'group', 'rule', 'list', '--long', 'web', env=alice.env),
        cc.openstack('port', 'list', '--long', env=alice.env),
        topo.run(lab.host, 'iptables-save').stdout.splitlines()], default=str, indent=1)
    call(ec2, 'authorize_security_group_ingress', GroupId=sg, IpPermissions=[
        {'IpProtocol': 'icmp', 'FromPort': -1, 'ToPort': -1,
         'IpRanges': [{'CidrIp': PUBLIC_CIDR}]}])
    assert topo.reach(lab.ext, public_ip, timeout=30)

    # a volume, hot-plugged: the guest sees the disk and marks it
    vid = call(ec2, 'create_volume', Size=1, AvailabilityZone=zone)['VolumeId']
    assert vid.startswith('vol-')
    wait_volume(ec2, vid, 'available')
    vol_uuid = cc.openstack('volume', 'list', env=alice.env)[0]['ID']
    serial = vol_uuid[:20]                        # what virtio-blk shows the guest
    call(ec2, 'attach_volume', VolumeId=vid, InstanceId=i1, Device='/dev/vdb')
    # as in AWS: the volume is in-use at once, its attachment attaching, then attached
    att = deadline_poll(lambda: (lambda v: v['State'] == 'in-use' and v['Attachments'] and all(
        a['State'] == 'attached' for a in v['Attachments']) and v['Attachments'])(
        volume(ec2, vid)), 120, interval=0.5, what=f'{vid} attached')
    assert [(a['InstanceId'], a['State'], a['Device']) for a in att] == \
        [(i1, 'attached', '/dev/vdb')], att
    found = console_line(ec2, i1, f'serial={serial} found=', timeout=HOTPLUG)
    assert found.endswith('found=none'), found
    console_line(ec2, i1, 'IAAS-TEST-IMAGE-VOLUME-MARKED', timeout=HOTPLUG)
    assert vid in [b['Ebs']['VolumeId'] for b in instance(ec2, i1)['BlockDeviceMappings']]
    assert f'<serial>{vol_uuid}</serial>' in guest_env.domain(u1).XMLDesc(0)

    # stop / start / reboot: the real domain follows, the guest counts its boots
    changed = call(ec2, 'stop_instances', InstanceIds=[i1])['StoppingInstances'][0]
    assert (changed['PreviousState']['Name'], changed['CurrentState']['Name']) == \
        ('running', 'stopping')
    wait_state(ec2, i1, 'stopped')
    assert guest_env.state(u1) == libvirt.VIR_DOMAIN_SHUTOFF
    call(ec2, 'start_instances', InstanceIds=[i1])
    wait_state(ec2, i1, 'running')
    assert boot_markers(ec2, i1, 2)[1] == f'IAAS-TEST-IMAGE-BOOTED uuid={u1} ' \
        f'hostname={first.split("hostname=")[1].split()[0]} boot=2'
    assert guest_env.state(u1) == libvirt.VIR_DOMAIN_RUNNING
    assert call(ec2, 'reboot_instances', InstanceIds=[i1])['ResponseMetadata'][
        'HTTPStatusCode'] == 200
    assert boot_markers(ec2, i1, 3)[2].endswith(' boot=3')
    wait_state(ec2, i1, 'running')
    assert topo.reach(lab.ext, public_ip, timeout=60)      # the floating IP survived

    # CreateImage → an AMI that boots again; its disk carries the boot count
    ami2 = call(ec2, 'create_image', InstanceId=i1, Name='vm1-snap')['ImageId']
    assert ami2.startswith('ami-') and ami2 != ami

    def image_available():
        img = call(ec2, 'describe_images', ImageIds=[ami2])['Images'][0]
        return img if img['State'] == 'available' else None
    img2 = deadline_poll(image_available, 300, interval=1, what=f'{ami2} available')
    assert img2['Name'] == 'vm1-snap'
    wait_state(ec2, i1, 'running')
    run2 = call(ec2, 'run_instances', ImageId=ami2, MinCount=1, MaxCount=1,
                InstanceType=FLAVOR, KeyName='k1', SecurityGroupIds=[sg])
    i2 = run2['Instances'][0]['InstanceId']
    assert wait_state(ec2, i2, 'running')['ImageId'] == ami2
    second = boot_markers(ec2, i2, 1)[0]
    u2 = second.split()[1].split('=', 1)[1]
    assert u2 != u1 and second.endswith(' boot=4'), second
    assert set(guest_env.domains()) == {u1, u2}
    running = call(ec2, 'describe_instances', Filters=[
        {'Name': 'instance-state-name', 'Values': ['running']}])['Reservations']
    assert sorted(i['InstanceId'] for r in running for i in r['Instances']) == sorted([i1, i2])

    # teardown, all through EC2: the guest sees its volume go
    call(ec2, 'detach_volume', VolumeId=vid)
    wait_volume(ec2, vid, 'available')
    deadline_poll(lambda: (lambda d: d is not None and serial not in d)(
        guest_disks(console(ec2, i1))), HOTPLUG, interval=1, what=f'{serial} gone from {i1}')
    assert vol_uuid not in guest_env.domain(u1).XMLDesc(0)

    call(ec2, 'disassociate_address', AssociationId=assoc)
    deadline_poll(lambda: not instance(ec2, i1).get('PublicIpAddress'), 30,
                  what=f'{public_ip} off {i1}')
    # the network host applies it: the floating IP's NAT goes, the guest is out of reach
    deadline_poll(lambda: not [ln for ln in nat_rules(topo, lab.host) if public_ip in ln], 30,
                  interval=0.5, what=f'NAT of {public_ip} removed')
    assert topo.unreachable(lab.ext, public_ip), \
        topo.run(lab.host, 'ip', '-o', 'addr').stdout + '\n'.join(nat_rules(topo, lab.host))
    call(ec2, 'release_address', AllocationId=alloc_id)
    assert call(ec2, 'describe_addresses')['Addresses'] == []

    gone = call(ec2, 'terminate_instances', InstanceIds=[i1, i2])['TerminatingInstances']
    assert sorted(g['InstanceId'] for g in gone) == sorted([i1, i2])
    for iid in (i1, i2):
        wait_state(ec2, iid, 'terminated', timeout=180)
    deadline_poll(lambda: guest_env.domains() == {}, 60, what='domains gone')
    assert not os.path.exists(os.path.join(guest_env.instances_path, u1))

    call(ec2, 'delete_volume', VolumeId=vid)

    def volume_gone():
        try:
            return not call(ec2, 'describe_volumes', VolumeIds=[vid])['Volumes']
        except botocore.exceptions.ClientError as exc:
            return exc.response['Error']['Code'] == 'InvalidVolume.NotFound'
    deadline_poll(volume_gone, 60, interval=0.5, what=f'{vid} deleted')
    assert os.listdir(os.path.join(guest_env.instances_path, 'volumes-vol1')) == []

    def group_deleted():        # the terminated guests' ports may hold it a moment
        try:
            call(ec2, 'delete_security_group', GroupId=sg)
            return True
        except botocore.exceptions.ClientError as exc:
            if exc.response['Error']['Code'] != 'DependencyViolation':
                raise
            return False
    deadline_poll(group_deleted, 60, interval=1, what=f'{sg} deleted')
    assert sg not in [g['GroupId'] for g in
                      call(ec2, 'describe_security_groups')['SecurityGroups']]
    call(ec2, 'delete_key_pair', KeyName='k1')
    assert call(ec2, 'describe_key_pairs')['KeyPairs'] == []
    call(ec2, 'deregister_image', ImageId=ami2)
    assert ami2 not in [i['ImageId'] for i in call(ec2, 'describe_images')['Images']]

    assert not mismatches, 'the metadata service disagrees with the EC2 API ' \
        '(what, metadata says, EC2 API says): ' + repr(mismatches)


# -- the AWS CLI (fake compute driver, same process-based harness) -----------------

class AwsCli:
    def __init__(self, tmp_path, endpoint):
        self.bin = os.path.join(BIN, 'aws')
        self.endpoint = endpoint
        self.home = tmp_path / 'aws-home'
        self.home.mkdir(exist_ok=True)

    def __call__(self, access, secret, *args, check=True):
        env = {'PATH': os.environ.get('PATH', '/usr/bin:/bin'), 'HOME': str(self.home),
               'AWS_ACCESS_KEY_ID': access, 'AWS_SECRET_ACCESS_KEY': secret,
               'AWS_DEFAULT_REGION': 'RegionOne', 'AWS_MAX_ATTEMPTS': '1',
               'AWS_CONFIG_FILE': str(self.home / 'config'),
               'AWS_SHARED_CREDENTIALS_FILE': str(self.home / 'credentials'),
               'AWS_EC2_METADATA_DISABLED': 'true', 'AWS_PAGER': ''}
        r = subprocess.run([self.bin, '--endpoint-url', self.endpoint, '--output', 'json',
                            'ec2', *args], env=env, capture_output=True, text=True,
                           timeout=120)
        if check:
            assert r.returncode == 0, f'aws ec2 {" ".join(args)}: {r.stdout}{r.stderr}'
            return json.loads(r.stdout) if r.stdout.strip() else {}
        return r


def test_aws_cli_and_errors_on_fake_driver(tmp_path):
    if not os.path.exists(os.path.join(BIN, 'aws')):
        pytest.skip('the AWS CLI is not installed (awscli, the test extra: tools/setup.sh)')
    cc = start_compute_cloud(tmp_path, hosts=('cmp1',),
                             sections={'api': {'user_write_rate': 0}})
    try:
        wait_for_port(cc.ports['ec2_port'], what='EC2 API')
        alice, bob = Tenant(cc, 'alice', 'alpha'), Tenant(cc, 'bob', 'beta')
        Rest(cc.cloud).upload_image('fake-img', visibility='public')
        cc.openstack('flavor', 'create', '--ram', '64', '--disk', '1', '--vcpus', '1',
                     FLAVOR)
        aws = AwsCli(tmp_path, alice.endpoint)

        def as_alice(*args, **kw):
            return aws(alice.access, alice.secret, *args, **kw)

        regions = as_alice('describe-regions')['Regions']
        assert [r['RegionName'] for r in regions] == ['RegionOne'], regions
        images = as_alice('describe-images')['Images']
        ami = next(i['ImageId'] for i in images if i['Name'] == 'fake-img')
        run = as_alice('run-instances', '--image-id', ami, '--instance-type', FLAVOR,
                       '--count', '1')
        iid = run['Instances'][0]['InstanceId']
        assert iid.startswith('i-') and run['OwnerId'] == alice.project_id, run

        def state():
            res = as_alice('describe-instances', '--instance-ids', iid)['Reservations']
            return res[0]['Instances'][0]['State']['Name']
        deadline_poll(lambda: state() == 'running', 120, interval=0.5,
                      what=f'{iid} running')
        flt = as_alice('describe-instances', '--filters',
                       'Name=instance-state-name,Values=running',
                       f'Name=image-id,Values={ami}')['Reservations']
        assert [i['InstanceId'] for r in flt for i in r['Instances']] == [iid], flt
        none = as_alice('describe-instances', '--filters',
                        'Name=instance-state-name,Values=stopped')['Reservations']
        assert none == []
        listed = as_alice('describe-instances')['Reservations']
        assert [i['InstanceId'] for r in listed for i in r['Instances']] == [iid]

        # another project: the instance does not exist for it (CLI and boto3)
        r = aws(bob.access, bob.secret, 'describe-instances', '--instance-ids', iid,
                check=False)
        assert r.returncode != 0 and 'InvalidInstanceID.NotFound' in r.stderr, r.stderr
        r = aws(bob.access, bob.secret, 'terminate-instances', '--instance-ids', iid,
                check=False)
        assert r.returncode != 0 and 'InvalidInstanceID.NotFound' in r.stderr, r.stderr
        assert aws(bob.access, bob.secret, 'describe-instances')['Reservations'] == []
        assert error_code(bob.ec2.stop_instances, InstanceIds=[iid]) == \
            'InvalidInstanceID.NotFound'
        # a wrong secret: AuthFailure before any work (CLI and boto3)
        r = aws(alice.access, alice.secret[:-1] + 'x', 'describe-regions', check=False)
        assert r.returncode != 0 and 'AuthFailure' in r.stderr, r.stderr
        r = aws(alice.access, alice.secret[:-1] + 'x', 'terminate-instances',
                '--instance-ids', iid, check=False)
        assert r.returncode != 0 and 'AuthFailure' in r.stderr, r.stderr
        wrong = client(alice.endpoint, alice.access, 'not-the-secret')
        assert error_code(wrong.describe_regions) == 'AuthFailure'
        unknown = client(alice.endpoint, 'AKIA' + uuid.uuid4().hex[:16].upper(), 'x')
        assert error_code(unknown.describe_instances) == 'AuthFailure'
        assert state() == 'running'

        gone = as_alice('terminate-instances', '--instance-ids', iid)
        t = gone['TerminatingInstances'][0]
        assert (t['InstanceId'], t['PreviousState']['Name']) == (iid, 'running'), gone
        deadline_poll(lambda: state() == 'terminated', 120, interval=0.5,
                      what=f'{iid} terminated')
        assert as_alice('describe-instances', '--filters',
                        'Name=instance-state-name,Values=running')['Reservations'] == []
    finally:
        cc.stop()
