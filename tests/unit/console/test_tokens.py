"""Console tokens: stored hashed, used once, bound, expiring."""
import datetime
import uuid

import pytest

from iaas import states
from iaas.console import tokens
from iaas.db import console_auth_tokens as db
from iaas.db import instances as db_instances
from iaas.db.base import utcnow
from iaas.db.engine import transaction
from iaas.db.models import ConsoleAuthToken, Instance


@pytest.fixture
def inst(conf, sqlite_db):
    return _instance


def _instance(host='cn1'):
    u = str(uuid.uuid4())
    with transaction() as s:
        s.add(Instance(uuid=u, project_id='p1', user_id='u1', display_name='x',
                       vm_state=states.ACTIVE, host=host, vcpus=1, memory_mb=64,
                       root_gb=1, ephemeral_gb=0))
    return db_instances.get(u)


def test_token_is_stored_hashed_and_used_once(inst):
    a = inst()
    token, url = tokens.issue(a, 'serial', '127.0.0.1', 10001)
    assert url.endswith('?token=' + token) and url.startswith('ws://')
    with transaction() as s:
        stored = [r.token_hash for r in s.query(ConsoleAuthToken).all()]
    assert stored == [tokens.digest(token)] and token not in stored
    assert tokens.show(token)['port'] == 10001          # show does not use it
    rec = tokens.consume(token)
    assert (rec['host'], rec['port'], rec['instance_uuid']) == ('127.0.0.1', 10001,
                                                                 a['uuid'])
    assert tokens.consume(token) is None                # once
    assert tokens.show(token) is None


def test_token_bound_to_its_instance(inst):
    a, b = inst(), inst()
    token, _ = tokens.issue(a, 'serial', '127.0.0.1', 10002)
    assert tokens.consume(token, instance_uuid=b['uuid']) is None
    assert tokens.consume(token, instance_uuid=a['uuid'])['instance_uuid'] == a['uuid']


def test_expired_token_refused_and_reaped(inst):
    a = inst()
    token, _ = tokens.issue(a, 'serial', '127.0.0.1', 10003, ttl=60)
    later = utcnow() + datetime.timedelta(seconds=61)
    assert db.consume(tokens.digest(token), now=later) is None
    assert db.reap(now=later) == 1
    assert tokens.consume(token) is None


def test_unknown_and_malformed_tokens(inst):
    for bad in ('', 'x' * 500, 'nope', None, 'é'):
        assert tokens.consume(bad) is None
        assert tokens.show(bad) is None


def test_token_of_an_instance_that_moved_or_went_is_refused(inst):
    a = inst()
    token, _ = tokens.issue(a, 'serial', '127.0.0.1', 10004)
    with transaction() as s:
        s.query(Instance).filter_by(uuid=a['uuid']).update({'host': 'elsewhere'})
    assert tokens.consume(token) is None
    b = inst()
    token, _ = tokens.issue(b, 'serial', '127.0.0.1', 10005)
    with transaction() as s:
        s.query(Instance).filter_by(uuid=b['uuid']).update({'deleted': 1})
    assert tokens.consume(token) is None


def test_origins(conf):
    conf.set_override('public_host', 'cloud.example.com', group='api')
    conf.set_override('allowed_origins', ['https://portal.example.org'],
                      group='serial_console')
    assert tokens.origin_allowed(None)
    assert tokens.origin_allowed('http://cloud.example.com:8000')
    assert tokens.origin_allowed('https://portal.example.org')
    assert tokens.origin_allowed('https://dash.example.net', 'https://dash.example.net/')
    for bad in ('http://evil.example.com', 'null', 'https://portal.example.org.evil.com',
                'http://cloud.example.com.evil.com', 'https://dash.example.net'):
        assert not tokens.origin_allowed(bad), bad
