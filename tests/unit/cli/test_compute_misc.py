"""``iaas flavor list``, ``iaas keypair …``, ``iaas usage``."""
import json
import os
import stat


def test_flavor_list_table(fake, osenv, run):
    rc, out, _ = run('flavor', 'list')
    assert rc == 0
    lines = out.splitlines()
    assert lines[1].split('|')[1:-1] == [' ID ', ' Name     ', ' RAM  ', ' Disk ',
                                         ' Ephemeral ', ' VCPUs ', ' Is Public ']
    assert '| 2  | m1.small | 2048 | 20   |' in out


def test_keypair_create_writes_private_key_0600(fake, osenv, run, tmp_path):
    key = tmp_path / 'k1.pem'
    rc, out, err = run('keypair', 'create', 'k1', '--private-key-file', str(key))
    assert rc == 0, err
    assert key.read_text().startswith('-----BEGIN OPENSSH PRIVATE KEY-----')
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert 'aa:bb' in out and 'PRIVATE KEY' not in out
    (post,) = fake.calls('POST', '/compute/v2.1/os-keypairs')
    assert post[4] == {'keypair': {'name': 'k1'}}
    # never overwrites an existing key file
    rc, _, err = run('keypair', 'create', 'k2', '--private-key-file', str(key))
    assert rc == 1 and 'already exists' in err
    assert 'k2' not in fake.keypairs


def test_keypair_create_prints_private_key(fake, osenv, run):
    rc, out, _ = run('keypair', 'create', 'k1')
    assert rc == 0 and out.startswith('-----BEGIN OPENSSH PRIVATE KEY-----')
    rc, _, err = run('keypair', 'create', 'k1')
    assert rc == 1 and "Key pair 'k1' already exists. (HTTP 409)" in err
    rc, out, _ = run('keypair', 'create', 'k3', '-f', 'json')
    assert json.loads(out)['private_key'].startswith('-----BEGIN')


def test_keypair_import_list_delete(fake, osenv, run, tmp_path):
    pub = tmp_path / 'id.pub'
    pub.write_text('ssh-ed25519 AAAAC3Nza me@host\n')
    rc, out, err = run('keypair', 'import', 'mine', '--public-key', str(pub))
    assert rc == 0, err
    (post,) = fake.calls('POST', '/compute/v2.1/os-keypairs')
    assert post[4] == {'keypair': {'name': 'mine', 'public_key': 'ssh-ed25519 AAAAC3Nza me@host'}}
    rc, out, _ = run('keypair', 'list', '-f', 'json')
    assert json.loads(out) == [{'Name': 'mine', 'Fingerprint': 'aa:bb', 'Type': 'ssh'}]
    assert run('keypair', 'delete', 'mine')[0] == 0
    rc, _, err = run('keypair', 'delete', 'mine')
    assert rc == 1 and 'Keypair mine not found' in err and '(HTTP 404)' in err
    rc, _, err = run('keypair', 'import', 'x', '--public-key', str(tmp_path / 'missing'))
    assert rc == 1 and 'cannot read public key' in err


def test_usage(fake, osenv, run):
    rc, out, err = run('usage', '--start', '2026-11-01', '--end', '2026-11-27', '-f', 'json')
    assert rc == 0, err
    (get,) = fake.calls('GET', '/compute/v2.1/os-simple-tenant-usage/')
    assert get[1].endswith('/' + fake.project_id)
    assert get[2] == {'start': ['2026-11-01T00:00:00.000000'],
                      'end': ['2026-11-27T00:00:00.000000']}
    data = json.loads(out)
    assert data['Servers'] == 1 and data['CPU Hours'] == 7.0
    assert data['RAM MB-Hours'] == 1792.0 and data['Disk GB-Hours'] == 3.5
    rc, out, _ = run('usage', '--servers')
    assert rc == 0 and 'web' in out
    rc, _, err = run('usage', '--start', 'yesterday')
    assert rc == 1 and 'expected YYYY-MM-DD' in err
    rc, _, err = run('usage', '--start', '2026-11-02', '--end', '2026-11-01')
    assert rc == 1 and '--end must be after --start' in err
