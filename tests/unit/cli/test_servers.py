"""``iaas server …`` against the fake cloud: request shapes, name/ID
resolution, --wait progress, faults and API error messages."""
import base64
import json

import pytest


@pytest.fixture
def image(fake):
    iid = '11111111-2222-3333-4444-555555555555'
    fake.images[iid] = fake.image_record(iid, 'cirros', 'active', disk_format='qcow2',
                                         container_format='bare')
    return iid


def create(run, *extra, name='web1'):
    return run('server', 'create', name, '--image', 'cirros', '--flavor', 'm1.tiny', *extra)


def posted_server(fake):
    (post,) = fake.calls('POST', '/compute/v2.1/servers')
    return post[4]['server']


def test_create_resolves_names_and_sends_nova_body(fake, osenv, run, image, tmp_path):
    fake.keypairs['k1'] = {'name': 'k1', 'fingerprint': 'f', 'public_key': 'ssh-rsa A'}
    ud = tmp_path / 'ud.yaml'
    ud.write_bytes(b'#cloud-config\nruncmd: [echo hi]\n')
    rc, out, err = create(run, '--key-name', 'k1', '--user-data', str(ud), '-f', 'json')
    assert rc == 0, err
    body = posted_server(fake)
    assert body['imageRef'] == image and body['flavorRef'] == '1'
    assert body['key_name'] == 'k1' and body['networks'] == 'auto'
    assert base64.b64decode(body['user_data']) == ud.read_bytes()
    assert body['min_count'] == 1 and body['max_count'] == 1
    # the image name was tried as an ID first, then listed by name (as openstackclient)
    assert fake.calls('GET', '/image/v2/images/cirros')
    assert [c[2] for c in fake.calls('GET', '/image/v2/images') if c[1] == '/image/v2/images'
            ][0] == {'name': ['cirros']}
    shown = json.loads(out)
    assert shown['name'] == 'web1' and shown['adminPass'] == 'pw'


def test_create_network_options(fake, osenv, run, image):
    assert create(run, '--network', 'none')[0] == 0
    assert posted_server(fake)['networks'] == 'none'
    fake.requests.clear()
    assert create(run, '--network', 'n1', '--network', 'n2', name='web2')[0] == 0
    assert posted_server(fake)['networks'] == [{'uuid': 'n1'}, {'uuid': 'n2'}]
    rc, _, err = create(run, '--network', 'auto', '--network', 'n1', name='web3')
    assert rc == 1 and 'cannot be combined' in err


def test_create_network_by_name_through_the_network_api(fake, osenv, run, image):
    fake.networks = {'net-1': {'id': 'net-1', 'name': 'private'},
                     'net-2': {'id': 'net-2', 'name': 'dup'},
                     'net-3': {'id': 'net-3', 'name': 'dup'}}
    assert create(run, '--network', 'private', '--network', 'net-2')[0] == 0
    assert posted_server(fake)['networks'] == [{'uuid': 'net-1'}, {'uuid': 'net-2'}]
    rc, _, err = create(run, '--network', 'nope', name='web2')
    assert rc == 1 and "No network with a name or ID of 'nope' exists." in err
    rc, _, err = create(run, '--network', 'dup', name='web3')
    assert rc == 1 and "More than one network exists with the name 'dup'" in err


def test_create_wait_shows_progress_until_active(fake, osenv, run, image):
    rc, out, err = create(run, '--wait')
    assert rc == 0, err
    lines = [line for line in err.splitlines() if line.startswith('server web1')]
    states = [line.split(': ', 1)[1].rsplit(' [', 1)[0] for line in lines]
    assert states == ['BUILD (scheduling)', 'BUILD (spawning)', 'ACTIVE']
    assert 'ACTIVE' in out and 'cirros (' in out and 'm1.tiny' in out


def test_wait_retries_transient_api_errors(fake, osenv, run, image):
    assert create(run, '--wait')[0] == 0
    fake.fail_server_gets = 2
    rc, _, err = run('server', 'stop', 'web1', '--wait')
    assert rc == 0, err
    assert 'retrying: restarting (HTTP 503)' in err
    assert 'SHUTOFF' in err.strip().splitlines()[-1]
    fake.fail_server_gets = 10000
    rc, _, err = run('server', 'start', 'web1', '--wait', '--timeout', '0.3')
    assert rc == 1 and err.strip().splitlines()[-1] == 'Error: restarting (HTTP 503)'


def test_create_wait_error_prints_fault_and_exits_1(fake, osenv, run, image):
    rc, out, err = create(run, '--wait', name='boom1')
    assert rc == 1
    assert 'went to ERROR: No valid host was found.' in err


def test_create_wait_times_out(fake, osenv, run, image):
    rc, _, err = create(run, '--wait', '--timeout', '0.3', name='stuck1')
    assert rc == 1
    assert 'timed out after 0.3s' in err and 'BUILD (scheduling)' in err


def test_create_unknown_image_and_flavor(fake, osenv, run, image):
    rc, _, err = run('server', 'create', 'x', '--image', 'nope', '--flavor', 'm1.tiny')
    assert rc == 1 and "No image with a name or ID of 'nope' exists." in err
    rc, _, err = run('server', 'create', 'x', '--image', 'cirros', '--flavor', 'huge')
    assert rc == 1 and "No flavor with a name or ID of 'huge' exists." in err


def test_ambiguous_image_name(fake, osenv, run, image):
    fake.images['other'] = fake.image_record('other', 'cirros', 'active')
    rc, _, err = create(run)
    assert rc == 1 and "More than one image exists with the name 'cirros'" in err


def test_nova_fault_message_is_printed(fake, osenv, run, image):
    rc, out, err = create(run, '--key-name', 'missing')
    assert rc == 1 and out == ''
    assert err.strip() == 'Error: Invalid key_name provided. (HTTP 400)'


def test_list_show_by_name_and_pagination(fake, osenv, run, image):
    for i in range(5):
        assert create(run, name=f'vm{i}')[0] == 0
    fake.page_size = 2
    rc, out, err = run('server', 'list', '-f', 'json')
    assert rc == 0, err
    rows = json.loads(out)
    assert sorted(r['Name'] for r in rows) == [f'vm{i}' for i in range(5)]
    assert {r['Image'] for r in rows} == {'cirros'} and {r['Flavor'] for r in rows} == {
        'm1.tiny'}
    assert rows[0]['Networks'] == 'private=10.0.0.5'
    rc, out, _ = run('server', 'list')
    assert out.startswith('+') and '| ID ' in out and 'vm3' in out
    rc, out, err = run('server', 'show', 'vm3', '-f', 'json')
    assert rc == 0, err
    assert json.loads(out)['name'] == 'vm3'
    rc, out, _ = run('server', 'list', '-f', 'value', '-c', 'Name')
    assert sorted(out.split()) == [f'vm{i}' for i in range(5)]
    fake.requests.clear()
    rc, out, _ = run('server', 'list', '-f', 'value', '-c', 'Name', '--limit', '3')
    assert out.split() == ['vm0', 'vm1', 'vm2']
    assert len(fake.calls('GET', '/compute/v2.1/servers/detail')) == 2   # stops paging


def test_show_unknown_and_ambiguous_server(fake, osenv, run, image):
    rc, _, err = run('server', 'show', 'ghost')
    assert rc == 1 and "No server with a name or ID of 'ghost' exists." in err
    create(run, name='twin')
    create(run, name='twin')
    rc, _, err = run('server', 'show', 'twin')
    assert rc == 1 and "More than one server exists with the name 'twin'" in err


def server_id(fake, name):
    return next(s['id'] for s in fake.servers.values() if s['name'] == name)


def actions(fake, sid):
    return [c[4] for c in fake.calls('POST', f'/compute/v2.1/servers/{sid}/action')]


def test_stop_start_reboot_wait(fake, osenv, run, image):
    assert create(run, '--wait')[0] == 0
    sid = server_id(fake, 'web1')
    rc, _, err = run('server', 'stop', 'web1', '--wait')
    assert rc == 0, err
    assert 'ACTIVE (powering-off)' in err and err.strip().splitlines()[-1].startswith(
        'server web1') and 'SHUTOFF' in err.strip().splitlines()[-1]
    rc, _, err = run('server', 'stop', 'web1')
    assert rc == 1 and "Cannot 'stop' instance" in err and '(HTTP 409)' in err
    rc, _, err = run('server', 'start', sid, '--wait')
    assert rc == 0, err
    assert 'SHUTOFF (powering-on)' in err
    rc, _, err = run('server', 'reboot', 'web1', '--hard', '--wait')
    assert rc == 0, err
    assert 'HARD_REBOOT (reboot_started)' in err
    assert run('server', 'reboot', 'web1')[0] == 0
    assert actions(fake, sid) == [{'os-stop': None}, {'os-stop': None}, {'os-start': None},
                                  {'reboot': {'type': 'HARD'}}, {'reboot': {'type': 'SOFT'}}]


def test_delete_wait(fake, osenv, run, image):
    assert create(run)[0] == 0
    sid = server_id(fake, 'web1')
    rc, _, err = run('server', 'delete', 'web1', '--wait')
    assert rc == 0, err
    assert 'ACTIVE (deleting)' in err and err.strip().endswith(']')
    assert 'deleted' in err.strip().splitlines()[-1]
    assert sid not in fake.servers
    assert fake.calls('DELETE', f'/compute/v2.1/servers/{sid}')


def test_console_log(fake, osenv, run, image):
    assert create(run)[0] == 0
    rc, out, _ = run('server', 'console-log', 'web1')
    assert rc == 0 and out == 'boot 1\nboot 2\nlogin:\n'
    rc, out, _ = run('server', 'console-log', 'web1', '--lines', '1')
    assert out == 'login:\n'
    sid = server_id(fake, 'web1')
    assert actions(fake, sid) == [{'os-getConsoleOutput': {}},
                                  {'os-getConsoleOutput': {'length': 1}}]


def test_snapshot_wait(fake, osenv, run, image):
    assert create(run)[0] == 0
    rc, out, err = run('server', 'snapshot', 'web1', 'web1-snap', '--wait', '-f', 'json')
    assert rc == 0, err
    img = json.loads(out)
    assert img['name'] == 'web1-snap' and img['status'] == 'active'
    assert 'saving' in err and 'active' in err
    assert actions(fake, server_id(fake, 'web1')) == [{'createImage': {'name': 'web1-snap'}}]


def test_snapshot_wait_fails_when_server_task_ends_but_image_stays_queued(
        fake, osenv, run, image, monkeypatch):
    monkeypatch.setattr('iaas.cli.wait.SNAPSHOT_GRACE', 0.2)
    assert create(run, name='nosnap')[0] == 0
    rc, _, err = run('server', 'snapshot', 'nosnap', 'snap', '--wait')
    assert rc == 1
    assert 'the snapshot failed' in err and 'is still queued' in err
