"""``iaas server …`` against the fake cloud (tests/unit/cli/fake_cloud.py)
where the test needs what the real APIs do not do on demand: a scripted
BUILD → ACTIVE progression, transient 503s, a build that goes to ERROR, a
stuck build, snapshots. The rest is test_servers.py, on the real APIs."""
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


def server_id(fake, name):
    return next(s['id'] for s in fake.servers.values() if s['name'] == name)


def actions(fake, sid):
    return [c[4] for c in fake.calls('POST', f'/compute/v2.1/servers/{sid}/action')]


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
