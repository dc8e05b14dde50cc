"""Token format: Fernet over a compact payload, expiry, key rotation."""
import os
import time

import pytest
from cryptography.fernet import InvalidToken

from iaas.identity import fernet, tokens


def test_roundtrip_and_fields(conf):
    tok, data = tokens.issue('u1', ['password'], 'p1')
    assert '=' not in tok and len(tok) < 300
    got = tokens.decode(tok)
    assert got == data
    assert got.user_id == 'u1' and got.project_id == 'p1' and got.methods == ('password',)
    assert len(got.audit_id) == 22
    assert got.expires_s - time.time() == pytest.approx(
        conf.identity.token_expiration, abs=2)


def test_unscoped_and_rescoped_keep_parent_audit(conf):
    tok, data = tokens.issue('u1', ['password'])
    assert tokens.decode(tok).project_id is None
    tok2, data2 = tokens.issue('u1', ['password', 'token'], 'p', expires_s=data.expires_s,
                               parent_audit_id=data.audit_id)
    d2 = tokens.decode(tok2)
    assert d2.audit_ids == (data2.audit_id, data.audit_id)
    assert d2.expires_s == data.expires_s


def test_application_credential_id_carried(conf):
    tok, data = tokens.issue('u1', ['application_credential'], 'p1', app_cred_id='c' * 32)
    got = tokens.decode(tok)
    assert got == data and got.app_cred_id == 'c' * 32
    assert got.methods == ('application_credential',)
    # Other tokens carry none (and keep the 7-field payload).
    assert tokens.decode(tokens.issue('u1', ['password'], 'p1')[0]).app_cred_id is None


@pytest.mark.parametrize('bad', ['', 'x', 'gAAAAA' + 'A' * 100, 'a' * 2000, 'ünïcode'])
def test_garbage_rejected(conf, bad):
    with pytest.raises(tokens.TokenInvalid):
        tokens.decode(bad)


def test_tampered_token_rejected(conf):
    tok, _ = tokens.issue('u1', ['password'], 'p1')
    i = len(tok) // 2
    flipped = tok[:i] + ('A' if tok[i] != 'A' else 'B') + tok[i + 1:]
    with pytest.raises(tokens.TokenInvalid):
        tokens.decode(flipped)


def test_expired_token_rejected(conf):
    tok, data = tokens.issue('u1', ['password'], 'p1', expires_s=int(time.time()) + 5)
    assert tokens.decode(tok) == data
    with pytest.raises(tokens.TokenInvalid, match='expired'):
        tokens.decode(tok, now=time.time() + 6)


def test_other_key_repository_rejects(conf, tmp_path):
    tok, _ = tokens.issue('u1', ['password'])
    conf.set_override('key_repository', str(tmp_path / 'other'), group='identity')
    try:
        with pytest.raises(tokens.TokenInvalid):
            tokens.decode(tok)
    finally:
        conf.clear_override('key_repository', group='identity')


def test_rotation_staged_primary_secondary(conf, tmp_path):
    repo = fernet.KeyRepository(str(tmp_path / 'keys'), max_active_keys=3,
                                recheck_interval=0)
    repo.setup()
    assert sorted(os.listdir(repo.path)) == ['0', '1']
    staged = open(os.path.join(repo.path, '0'), 'rb').read()
    t1 = repo.encrypt(b'one')
    assert repo.rotate() == 2
    # The old staged key became primary; new tokens are signed with it.
    assert open(os.path.join(repo.path, '2'), 'rb').read() == staged
    assert sorted(os.listdir(repo.path)) == ['0', '1', '2']
    t2 = repo.encrypt(b'two')
    assert repo.decrypt(t1) == b'one' and repo.decrypt(t2) == b'two'
    repo.rotate()                      # keys 0, 2, 3: key 1 rotated out
    assert sorted(os.listdir(repo.path)) == ['0', '2', '3']
    assert repo.decrypt(t2) == b'two'
    with pytest.raises(InvalidToken):
        repo.decrypt(t1)


def test_rotation_seen_by_a_running_validator(conf):
    """Another process (iaas-manage token rotate) rotates; tokens keep working."""
    tok, data = tokens.issue('u1', ['password'])
    other = fernet.KeyRepository(conf.identity.key_repository,
                                 max_active_keys=conf.identity.max_active_keys)
    other.rotate()
    repo = tokens.key_repository()
    repo.recheck_interval = 0
    assert tokens.decode(tok) == data
    tok2, _ = tokens.issue('u1', ['password'])
    # Signed with the new primary, which the other repository now holds.
    assert other.decrypt((tok2 + '=' * (-len(tok2) % 4)).encode())
