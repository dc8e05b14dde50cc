"""The ``iaas`` CLI end to end against real daemons as separate processes
over RabbitMQ + PostgreSQL: iaas-api (identity + compute), iaas-image,
iaas-scheduler and iaas-compute (fake driver): login, image upload, flavor list, keypair create, server
create --wait, list, stop/start --wait, reboot, console-log, snapshot,
usage, delete --wait, and a clean error for a missing image."""
import base64
import json
import os
import stat

import pytest

from tests.probe.cli.test_cli_images import base_env, iaas
from tests.probe.compute.helpers import start_compute_cloud

pytestmark = pytest.mark.slow


@pytest.fixture
def compute_cloud(tmp_path):
    """The compute daemons as separate processes over RabbitMQ + PostgreSQL
    (tests/probe/compute/helpers.py), one fake host with 4 GiB of RAM."""
    cc = start_compute_cloud(tmp_path, hosts=('cmp1',), sections={
        'fake_driver': {'spawn_delay': 1.0, 'memory_mb': 4096}})
    try:
        cc.openstack('flavor', 'create', '--ram', '256', '--disk', '1', '--vcpus', '1',
                     '--public', 'cli.tiny')
        cc.openstack('flavor', 'create', '--ram', '20000', '--disk', '1', '--vcpus', '1',
                     '--public', 'cli.huge')
        yield cc
    finally:
        cc.stop()


def test_developer_workflow(compute_cloud, tmp_path):
    c = compute_cloud
    env = base_env(tmp_path)
    iaas(env, '--os-auth-url', c.auth_url, '--os-username', 'admin', '--os-project-name',
         'admin', 'login', '--password-stdin', stdin=c.admin_password + '\n')

    disk = tmp_path / 'tiny.img'
    disk.write_bytes(os.urandom(1 << 20))
    img = json.loads(iaas(env, 'image', 'upload', 'cli-cirros', str(disk), '-f',
                          'json').stdout)
    assert img['status'] == 'active' and img['disk_format'] == 'raw'

    flavors = json.loads(iaas(env, 'flavor', 'list', '-f', 'json').stdout)
    assert 'cli.tiny' in {f['Name'] for f in flavors}

    key = tmp_path / 'k.pem'
    iaas(env, 'keypair', 'create', 'clikey', '--private-key-file', str(key))
    assert 'PRIVATE KEY' in key.read_text()
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    pairs = json.loads(iaas(env, 'keypair', 'list', '-f', 'json').stdout)
    assert [p['Name'] for p in pairs] == ['clikey']
    r = iaas(env, 'keypair', 'create', 'clikey', check=False)
    assert r.returncode == 1 and '(HTTP 409)' in r.stderr

    pub = tmp_path / 'id.pub'
    pub.write_text('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl cli@probe\n')
    imported = json.loads(iaas(env, 'keypair', 'import', 'laptop', '--public-key', str(pub),
                               '-f', 'json').stdout)
    assert imported['name'] == 'laptop' and imported['fingerprint']

    ud = tmp_path / 'user-data'
    ud.write_bytes(b'#cloud-config\nhostname: vm1\n')
    r = iaas(env, 'server', 'create', 'vm1', '--image', 'cli-cirros', '--flavor', 'cli.tiny',
             '--key-name', 'clikey', '--user-data', str(ud), '--network', 'none', '--wait',
             '--timeout', '60', '-f', 'json')
    server = json.loads(r.stdout)
    assert server['status'] == 'ACTIVE' and server['key_name'] == 'clikey'
    assert base64.b64decode(server['OS-EXT-SRV-ATTR:user_data']) == ud.read_bytes()
    assert server['image']['id'] == img['id']
    progress = [line for line in r.stderr.splitlines() if line.startswith('server vm1')]
    assert progress[0].split(': ', 1)[1].startswith('BUILD')
    assert progress[-1].split(': ', 1)[1].startswith('ACTIVE')

    rows = json.loads(iaas(env, 'server', 'list', '-f', 'json').stdout)
    (row,) = [r for r in rows if r['ID'] == server['id']]
    assert row['Name'] == 'vm1' and row['Status'] == 'ACTIVE'
    assert row['Image'] == 'cli-cirros' and row['Flavor'] == 'cli.tiny'
    # openstackclient agrees
    assert c.openstack('server', 'show', server['id'])['status'] == 'ACTIVE'

    r = iaas(env, 'server', 'stop', 'vm1', '--wait', '--timeout', '60')
    assert r.stderr.strip().splitlines()[-1].split(': ', 1)[1].startswith('SHUTOFF')
    shown = json.loads(iaas(env, 'server', 'show', 'vm1', '-f', 'json').stdout)
    assert shown['status'] == 'SHUTOFF' and shown['OS-EXT-STS:power_state'] == 4
    r = iaas(env, 'server', 'stop', 'vm1', check=False)
    assert r.returncode == 1 and '(HTTP 409)' in r.stderr
    iaas(env, 'server', 'start', 'vm1', '--wait', '--timeout', '60')
    iaas(env, 'server', 'reboot', 'vm1', '--hard', '--wait', '--timeout', '60')
    assert json.loads(iaas(env, 'server', 'show', server['id'], '-f', 'json').stdout)[
        'status'] == 'ACTIVE'

    r = iaas(env, 'server', 'console-log', 'vm1')
    assert r.returncode == 0

    snap = json.loads(iaas(env, 'server', 'snapshot', 'vm1', 'vm1-snap', '--wait', '--timeout', '60', '-f',
                           'json').stdout)
    assert snap['name'] == 'vm1-snap' and snap['status'] == 'active'

    usage = json.loads(iaas(env, 'usage', '-f', 'json').stdout)
    assert usage['Servers'] >= 1

    r = iaas(env, 'server', 'create', 'vm2', '--image', 'no-such-image', '--flavor',
             'cli.tiny', check=False)
    assert r.returncode == 1 and "No image with a name or ID of 'no-such-image'" in r.stderr
    # network names are looked up in the network API of the catalog
    r = iaas(env, 'server', 'create', 'vm2', '--image', 'cli-cirros', '--flavor', 'cli.tiny',
             '--network', 'no-such-net', check=False)
    assert r.returncode == 1 and "No network with a name or ID of 'no-such-net'" in r.stderr

    # more RAM than the fake host has (4 GiB), within the quota: --wait prints the fault
    r = iaas(env, 'server', 'create', 'toobig', '--image', 'cli-cirros', '--flavor',
             'cli.huge', '--network', 'none', '--wait', '--timeout', '60', check=False)
    assert r.returncode == 1, r.stdout + r.stderr
    assert 'went to ERROR: ' in r.stderr and 'No valid host' in r.stderr, r.stderr
    iaas(env, 'server', 'delete', 'toobig', '--wait', '--timeout', '60')

    iaas(env, 'server', 'delete', 'vm1', '--wait', '--timeout', '60')
    rows = json.loads(iaas(env, 'server', 'list', '-f', 'json').stdout)
    assert server['id'] not in {r['ID'] for r in rows}
    iaas(env, 'image', 'delete', 'vm1-snap', 'cli-cirros')
    iaas(env, 'keypair', 'delete', 'clikey', 'laptop')
    assert json.loads(iaas(env, 'keypair', 'list', '-f', 'json').stdout) == []
