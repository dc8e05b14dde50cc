"""Application credential secrets and role restriction (no database)."""
import datetime

from iaas.identity import app_credentials as ac


def test_secret_hash_roundtrip_and_long_secrets(conf):
    long = ac.new_secret()
    assert len(long) > 72                 # longer than bcrypt takes on its own
    h = ac.hash_secret(long)
    assert long not in h and h.startswith('$2')
    assert ac.check_secret(long, h)
    assert not ac.check_secret(long[:-1] + ('x' if long[-1] != 'x' else 'y'), h)
    assert not ac.check_secret(long[:72], h)   # no truncation at 72 bytes
    assert ac.check_secret('ünï', ac.hash_secret('ünï'))


def test_restrict_keeps_only_the_credentials_roles():
    member, reader = {'id': 'm', 'name': 'member'}, {'id': 'r', 'name': 'reader'}
    cred = {'roles': [reader]}
    assert ac.restrict(cred, (member, reader)) == (reader,)
    assert ac.restrict({'roles': [member, reader]}, (reader,)) is None   # lost a role
    assert ac.restrict({'roles': []}, (member,)) is None


def test_expiry():
    now = datetime.datetime(2030, 1, 1)
    assert not ac.expired({'expires_at': None}, now)
    assert ac.expired({'expires_at': now}, now)
    assert not ac.expired({'expires_at': now + datetime.timedelta(seconds=1)}, now)
    assert ac.expires_s({'expires_at': datetime.datetime(1970, 1, 1, 0, 1)}) == 60
