"""``iaas flavor list``, ``iaas keypair …``, ``iaas usage`` against the
real compute and identity APIs in this process (tests/unit/cli/real_cloud.py)."""
import datetime as dt
import json
import os
import stat

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from iaas import states
from iaas.db import instances as db_instances

KEYPAIRS = '/v2.1/os-keypairs'


def _keypair(real, user, name):
    r = real.api('compute', 'GET', f'{KEYPAIRS}/{name}', user.token)
    return r.json['keypair'] if r.status_int == 200 else None


def test_flavor_list_table(real, flavors, real_user, run):
    rc, out, err = run('flavor', 'list')
    assert rc == 0, err
    lines = out.splitlines()
    assert [h.strip() for h in lines[1].split('|')[1:-1]] == [
        'ID', 'Name', 'RAM', 'Disk', 'Ephemeral', 'VCPUs', 'Is Public', 'Price/hour']
    assert [c.strip() for c in next(ln for ln in lines if ' m1.small ' in ln).split('|')[
        1:-1]][:7] == ['2', 'm1.small', '2048', '20', '0', '1', 'True']
    assert real.calls('compute', 'GET', '/v2.1/flavors/detail')


def test_keypair_create_writes_private_key_0600(real, real_user, run, tmp_path):
    key = tmp_path / 'k1.pem'
    rc, out, err = run('keypair', 'create', 'k1', '--private-key-file', str(key))
    assert rc == 0, err
    private = key.read_text()
    assert private.startswith('-----BEGIN') and 'PRIVATE KEY-----' in private
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    kp = _keypair(real, real_user, 'k1')
    assert kp['fingerprint'] in out and 'PRIVATE KEY' not in out
    (post,) = real.calls('compute', 'POST', KEYPAIRS)
    assert post[5] == {'keypair': {'name': 'k1'}}
    # the private key matches the public key the API keeps
    loaded = serialization.load_pem_private_key(private.encode(), None)
    public = loaded.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                              serialization.PublicFormat.OpenSSH).decode()
    assert kp['public_key'].startswith(public)
    # never overwrites an existing key file
    rc, _, err = run('keypair', 'create', 'k2', '--private-key-file', str(key))
    assert rc == 1 and 'already exists' in err
    assert _keypair(real, real_user, 'k2') is None
    assert key.read_text() == private


def test_keypair_create_prints_private_key(real, real_user, run):
    rc, out, _ = run('keypair', 'create', 'k1')
    assert rc == 0 and out.startswith('-----BEGIN')
    rc, _, err = run('keypair', 'create', 'k1')
    assert rc == 1 and 'k1' in err and 'already exists' in err and '(HTTP 409)' in err
    rc, out, _ = run('keypair', 'create', 'k3', '-f', 'json')
    assert json.loads(out)['private_key'].startswith('-----BEGIN')


def test_keypair_import_list_delete(real, real_user, run, tmp_path):
    public = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    pub = tmp_path / 'id.pub'
    pub.write_text(f'{public} me@host\n')
    rc, out, err = run('keypair', 'import', 'mine', '--public-key', str(pub))
    assert rc == 0, err
    (post,) = real.calls('compute', 'POST', KEYPAIRS)
    assert post[5] == {'keypair': {'name': 'mine', 'public_key': f'{public} me@host'}}
    fingerprint = _keypair(real, real_user, 'mine')['fingerprint']
    rc, out, _ = run('keypair', 'list', '-f', 'json')
    assert json.loads(out) == [{'Name': 'mine', 'Fingerprint': fingerprint, 'Type': 'ssh'}]
    assert run('keypair', 'delete', 'mine')[0] == 0
    assert _keypair(real, real_user, 'mine') is None
    rc, _, err = run('keypair', 'delete', 'mine')
    assert rc == 1 and 'mine' in err and '(HTTP 404)' in err
    rc, _, err = run('keypair', 'import', 'x', '--public-key', str(tmp_path / 'missing'))
    assert rc == 1 and 'cannot read public key' in err
    pub.write_text('ssh-ed25519 AAAAC3Nza me@host\n')       # not a key
    rc, _, err = run('keypair', 'import', 'bad', '--public-key', str(pub))
    assert rc == 1 and '(HTTP 400)' in err


@pytest.fixture
def past_server(real, real_user):
    """A deleted server of the user's project that ran 3.5 hours (2 VCPUs,
    512 MB, 1 GB disk) on the second day of a period that ended two days ago:
    (start, end) of the period as YYYY-MM-DD."""
    today = dt.datetime.now(dt.UTC).replace(tzinfo=None, hour=0, minute=0, second=0,
                                             microsecond=0)
    start, end = today - dt.timedelta(days=30), today - dt.timedelta(days=2)
    began = start + dt.timedelta(days=1)
    db_instances.create_with_quota(real_user.project_id, [dict(
        uuid='0c1d2e3f-0000-4000-8000-000000000001', project_id=real_user.project_id,
        user_id=real_user.id, display_name='web', vm_state=states.DELETED,
        vcpus=2, memory_mb=512, root_gb=1, ephemeral_gb=0, metadata_={},
        system_metadata={}, flavor={'name': 'm1.web'}, created_at=began, launched_at=began,
        terminated_at=began + dt.timedelta(hours=3, minutes=30))])
    return start.strftime('%Y-%m-%d'), end.strftime('%Y-%m-%d')


def test_usage(real, real_user, past_server, run):
    start, end = past_server
    rc, out, err = run('usage', '--start', start, '--end', end, '-f', 'json')
    assert rc == 0, err
    (get,) = real.calls('compute', 'GET', '/v2.1/os-simple-tenant-usage/')
    assert get[2] == f'/v2.1/os-simple-tenant-usage/{real_user.project_id}'
    assert get[3] == {'start': [f'{start}T00:00:00.000000'],
                      'end': [f'{end}T00:00:00.000000']}
    data = json.loads(out)
    assert data['Servers'] == 1 and data['CPU Hours'] == 7.0
    assert data['RAM MB-Hours'] == 1792.0 and data['Disk GB-Hours'] == 3.5
    rc, out, _ = run('usage', '--start', start, '--end', end, '--servers')
    assert rc == 0 and 'web' in out
    rc, _, err = run('usage', '--start', 'yesterday')
    assert rc == 1 and 'expected YYYY-MM-DD' in err
    rc, _, err = run('usage', '--start', '2026-11-02', '--end', '2026-11-01')
    assert rc == 1 and '--end must be after --start' in err
