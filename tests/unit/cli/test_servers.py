"""``iaas server …`` against the real compute, image, network and identity
APIs in this process, with a compute host on the fake driver
(tests/unit/cli/real_cloud.py): request shapes, name/ID resolution,
--wait progress, transient 503s (injected by the recorder), builds that
fail or do not finish, snapshots, API error messages."""
import base64
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from tests.functional.identity import helpers
from tests.unit.cli.real_cloud import forget_service_client

SERVERS = '/v2.1/servers'


@pytest.fixture
def image(real, real_user, run, tmp_path):
    """The user's active raw image 'cirros' (uploaded with the CLI)."""
    src = tmp_path / 'cirros.img'
    src.write_bytes(b'\0' * 4096)
    rc, out, err = run('image', 'upload', 'cirros', str(src), '-f', 'json')
    assert rc == 0, err
    real.requests.clear()
    return json.loads(out)['id']


@pytest.fixture
def private_net(real, real_user):
    """The user's network 'private' with subnet 10.0.0.0/24."""
    r = real.api('network', 'POST', '/v2.0/networks', real_user.token,
                 {'network': {'name': 'private'}})
    assert r.status_int == 201, r.body
    net = r.json['network']['id']
    r = real.api('network', 'POST', '/v2.0/subnets', real_user.token, {'subnet': {
        'network_id': net, 'cidr': '10.0.0.0/24', 'ip_version': 4}})
    assert r.status_int == 201, r.body
    return net


def create(run, *extra, name='web1'):
    return run('server', 'create', name, '--image', 'cirros', '--flavor', 'm1.tiny', *extra)


def posted_server(real):
    (post,) = real.calls('compute', 'POST', SERVERS)
    return post[5]['server']


def server_id(real, user, name):
    r = real.api('compute', 'GET', f'{SERVERS}?name=^{name}$', user.token)
    (s,) = r.json['servers']
    return s['id']


def actions(real, sid):
    return [c[5] for c in real.calls('compute', 'POST', f'{SERVERS}/{sid}/action')]


def test_create_resolves_names_and_sends_nova_body(real, flavors, real_user, run, image,
                                                    private_net, tmp_path):
    public = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    r = real.api('compute', 'POST', '/v2.1/os-keypairs', real_user.token,
                 {'keypair': {'name': 'k1', 'public_key': public}})
    assert r.status_int == 200, r.body
    ud = tmp_path / 'ud.yaml'
    ud.write_bytes(b'#cloud-config\nruncmd: [echo hi]\n')
    rc, out, err = create(run, '--key-name', 'k1', '--user-data', str(ud), '-f', 'json')
    assert rc == 0, err
    body = posted_server(real)
    assert body['imageRef'] == image and body['flavorRef'] == '1'
    assert body['key_name'] == 'k1' and body['networks'] == 'auto'
    assert base64.b64decode(body['user_data']) == ud.read_bytes()
    assert body['min_count'] == 1 and body['max_count'] == 1
    # the image name was tried as an ID first, then listed by name (as openstackclient)
    assert real.calls('image', 'GET', '/v2/images/cirros')
    assert [c[3] for c in real.calls('image', 'GET', '/v2/images')
            if c[2] == '/v2/images'][0] == {'name': ['cirros']}
    shown = json.loads(out)
    assert shown['name'] == 'web1' and shown['adminPass']
    sid = server_id(real, real_user, 'web1')
    s = real.api('compute', 'GET', f'{SERVERS}/{sid}', real_user.token).json['server']
    assert (s['key_name'], s['image']['id'], s['flavor']['id']) == ('k1', image, '1')


def test_create_network_options(real, flavors, real_user, run, image, private_net):
    assert create(run, '--network', 'none')[0] == 0
    assert posted_server(real)['networks'] == 'none'
    real.requests.clear()
    assert create(run, '--network', private_net, name='web2')[0] == 0
    assert posted_server(real)['networks'] == [{'uuid': private_net}]
    rc, _, err = create(run, '--network', 'auto', '--network', private_net, name='web3')
    assert rc == 1 and 'cannot be combined' in err


def test_create_network_by_name_through_the_network_api(real, flavors, real_user, run,
                                                        image, private_net):
    dups = []
    for _ in range(2):
        r = real.api('network', 'POST', '/v2.0/networks', real_user.token,
                     {'network': {'name': 'dup'}})
        dups.append(r.json['network']['id'])
    assert create(run, '--network', 'private', '--network', dups[0])[0] == 0
    assert posted_server(real)['networks'] == [{'uuid': private_net}, {'uuid': dups[0]}]
    rc, _, err = create(run, '--network', 'nope', name='web2')
    assert rc == 1 and "No network with a name or ID of 'nope' exists." in err
    rc, _, err = create(run, '--network', 'dup', name='web3')
    assert rc == 1 and "More than one network exists with the name 'dup'" in err


def test_create_wait_until_active(real, flavors, real_user, run, image, private_net):
    rc, out, err = create(run, '--wait')
    assert rc == 0, err
    lines = [line for line in err.splitlines() if line.startswith('server web1')]
    assert lines and 'ACTIVE' in lines[-1]
    assert 'ACTIVE' in out and 'cirros (' in out and 'm1.tiny' in out
    assert 'private=10.0.0.' in out


def test_create_unknown_image_and_flavor(real, flavors, real_user, run, image):
    rc, _, err = run('server', 'create', 'x', '--image', 'nope', '--flavor', 'm1.tiny')
    assert rc == 1 and "No image with a name or ID of 'nope' exists." in err
    rc, _, err = run('server', 'create', 'x', '--image', 'cirros', '--flavor', 'huge')
    assert rc == 1 and "No flavor with a name or ID of 'huge' exists." in err
    assert not real.calls('compute', 'POST', SERVERS)


def test_ambiguous_image_name(real, flavors, real_user, run, image, tmp_path):
    src = tmp_path / 'other.img'
    src.write_bytes(b'\0' * 512)
    assert run('image', 'upload', 'cirros', str(src))[0] == 0
    rc, _, err = create(run)
    assert rc == 1 and "More than one image exists with the name 'cirros'" in err


def test_nova_fault_message_is_printed(real, flavors, real_user, run, image):
    rc, out, err = create(run, '--key-name', 'missing')
    assert rc == 1 and out == ''
    assert err.startswith('Error: Invalid key_name provided: missing (HTTP 400) (Request-ID: '
                          'req-')


def test_list_show_by_name_and_pagination(real, flavors, real_user, run, image, private_net):
    for i in range(5):
        assert create(run, name=f'vm{i}')[0] == 0
    rc, out, err = run('server', 'list', '-f', 'json')
    assert rc == 0, err
    rows = json.loads(out)
    assert sorted(r['Name'] for r in rows) == [f'vm{i}' for i in range(5)]
    assert {r['Image'] for r in rows} == {'cirros'} and {r['Flavor'] for r in rows} == {
        'm1.tiny'}
    rc, out, _ = run('server', 'list')
    assert out.startswith('+') and '| ID ' in out and 'vm3' in out
    rc, out, err = run('server', 'show', 'vm3', '-f', 'json')
    assert rc == 0, err
    assert json.loads(out)['name'] == 'vm3'
    rc, out, _ = run('server', 'list', '-f', 'value', '-c', 'Name')
    assert sorted(out.split()) == [f'vm{i}' for i in range(5)]
    real.requests.clear()
    rc, out, _ = run('server', 'list', '-f', 'value', '-c', 'Name', '--limit', '3')
    assert len(out.split()) == 3 and set(out.split()) < {f'vm{i}' for i in range(5)}
    pages = real.calls('compute', 'GET', f'{SERVERS}/detail')
    assert len(pages) == 2 and pages[0][3]['limit'] == ['3']     # stops paging
    assert 'marker' in pages[1][3]


def test_show_unknown_and_ambiguous_server(real, flavors, real_user, run, image):
    rc, _, err = run('server', 'show', 'ghost')
    assert rc == 1 and "No server with a name or ID of 'ghost' exists." in err
    create(run, name='twin')
    create(run, name='twin')
    rc, _, err = run('server', 'show', 'twin')
    assert rc == 1 and "More than one server exists with the name 'twin'" in err


def test_stop_start_reboot_wait(real, flavors, real_user, run, image):
    assert create(run, '--wait')[0] == 0
    sid = server_id(real, real_user, 'web1')
    real.requests.clear()
    rc, _, err = run('server', 'stop', 'web1', '--wait')
    assert rc == 0, err
    assert 'SHUTOFF' in err.strip().splitlines()[-1]
    rc, _, err = run('server', 'stop', 'web1')
    assert rc == 1 and "Cannot 'stop' instance" in err and '(HTTP 409)' in err
    rc, _, err = run('server', 'start', sid, '--wait')
    assert rc == 0, err
    assert 'ACTIVE' in err.strip().splitlines()[-1]
    rc, _, err = run('server', 'reboot', 'web1', '--hard', '--wait')
    assert rc == 0, err
    assert 'ACTIVE' in err.strip().splitlines()[-1]
    assert run('server', 'reboot', 'web1', '--wait')[0] == 0
    assert actions(real, sid) == [{'os-stop': None}, {'os-stop': None}, {'os-start': None},
                                  {'reboot': {'type': 'HARD'}}, {'reboot': {'type': 'SOFT'}}]


def test_delete_wait(real, flavors, real_user, run, image):
    assert create(run, '--wait')[0] == 0
    sid = server_id(real, real_user, 'web1')
    rc, _, err = run('server', 'delete', 'web1', '--wait')
    assert rc == 0, err
    assert 'deleted' in err.strip().splitlines()[-1]
    assert real.calls('compute', 'DELETE', f'{SERVERS}/{sid}')
    assert real.api('compute', 'GET', f'{SERVERS}/{sid}', real_user.token).status_int == 404


def test_console_log(real, flavors, real_user, run, image):
    assert create(run, '--wait')[0] == 0
    sid = server_id(real, real_user, 'web1')
    rc, out, _ = run('server', 'console-log', 'web1')
    assert rc == 0 and out.startswith(f'fake guest {sid} booting') and out.endswith('\n')
    # Nova's tail: the last N pieces split at newlines, so a log ending in a
    # newline gives N-1 lines and the newline
    rc, last, _ = run('server', 'console-log', 'web1', '--lines', '2')
    assert rc == 0 and last == out.splitlines(keepends=True)[-1]
    assert actions(real, sid) == [{'os-getConsoleOutput': {}},
                                  {'os-getConsoleOutput': {'length': 2}}]


# -- progress, transient errors, failures ---------------------------------------------------

@pytest.fixture
def slow_spawn(real):
    """The fake driver spawns in 0.5 s (the build is seen in BUILD)."""
    real.conf.set_override('spawn_delay', 0.5, group='fake_driver')
    yield
    real.conf.set_override('spawn_delay', 0, group='fake_driver')


def test_create_wait_shows_progress_until_active(real, flavors, real_user, run, image,
                                                 slow_spawn):
    rc, out, err = create(run, '--wait')
    assert rc == 0, err
    lines = [line for line in err.splitlines() if line.startswith('server web1')]
    states = [line.split(': ', 1)[1].rsplit(' [', 1)[0] for line in lines]
    assert states[0].startswith('BUILD (') and 'BUILD (spawning)' in states
    assert states[-1] == 'ACTIVE' and len(set(states)) == len(states)
    assert 'ACTIVE' in out and 'cirros (' in out and 'm1.tiny' in out


def test_wait_retries_transient_api_errors(real, flavors, real_user, run, image):
    assert create(run, '--wait')[0] == 0
    sid = server_id(real, real_user, 'web1')
    real.fail('compute', 'GET', f'{SERVERS}/{sid}', 2)
    rc, _, err = run('server', 'stop', 'web1', '--wait')
    assert rc == 0, err
    assert 'retrying: restarting (HTTP 503)' in err
    assert 'SHUTOFF' in err.strip().splitlines()[-1]
    real.fail('compute', 'GET', f'{SERVERS}/{sid}', 10000)
    try:
        rc, _, err = run('server', 'start', 'web1', '--wait', '--timeout', '0.3')
    finally:
        real.faults.clear()
    assert rc == 1 and err.strip().splitlines()[-1] == 'Error: restarting (HTTP 503)'


@pytest.fixture
def huge_flavor(real):
    """A flavor no compute host has room for (more disk than the fake host has)."""
    r = real.api('compute', 'POST', '/v2.1/flavors', real.admin, {'flavor': {
        'name': 'm1.huge', 'ram': 512, 'vcpus': 1, 'disk': 100000, 'id': 'huge'}})
    assert r.status_int == 200, r.body
    yield 'm1.huge'
    real.api('compute', 'DELETE', '/v2.1/flavors/huge', real.admin)


def test_create_wait_error_prints_fault_and_exits_1(real, flavors, real_user, run, image,
                                                    huge_flavor):
    rc, out, err = run('server', 'create', 'boom1', '--image', 'cirros', '--flavor',
                       huge_flavor, '--wait')
    assert rc == 1
    assert 'went to ERROR: No valid host was found.' in err


def test_create_wait_times_out(real, flavors, real_user, run, image, slow_spawn):
    rc, _, err = create(run, '--wait', '--timeout', '0.3', name='stuck1')
    assert rc == 1
    assert 'timed out after 0.3s' in err and 'BUILD (' in err


def test_snapshot_wait(real, flavors, real_user, run, image):
    assert create(run, '--wait')[0] == 0
    rc, out, err = run('server', 'snapshot', 'web1', 'web1-snap', '--wait', '-f', 'json')
    assert rc == 0, err
    img = json.loads(out)
    assert img['name'] == 'web1-snap' and img['status'] == 'active' and img['size'] > 0
    assert 'active' in err
    assert actions(real, server_id(real, real_user, 'web1')) == [
        {'createImage': {'name': 'web1-snap'}}]


@pytest.fixture
def broken_service_user(real):
    """The compute host's service login fails: snapshots are never uploaded."""
    real.conf.set_override('password', 'not-the-password', group='service_user')
    forget_service_client()
    yield
    real.conf.set_override('password', helpers.ADMIN_PW, group='service_user')
    forget_service_client()


def test_snapshot_wait_fails_when_server_task_ends_but_image_stays_queued(
        real, flavors, real_user, run, image, monkeypatch, broken_service_user):
    monkeypatch.setattr('iaas.cli.wait.SNAPSHOT_GRACE', 0.2)
    assert create(run, '--wait', name='nosnap')[0] == 0
    rc, _, err = run('server', 'snapshot', 'nosnap', 'snap', '--wait')
    assert rc == 1
    assert 'the snapshot failed' in err and 'is still queued' in err
