"""The object store's policy table, S3 classification and the standalone
(no identity) mode."""
import os

import pytest

from iaas.api.objectstore import policies
from iaas.api.objectstore.auth import Auth, AuthError, Identity
from iaas.api.objectstore.s3 import app as s3api


@pytest.mark.parametrize('method,bucket,key,query,headers,op', [
    ('GET', '', '', {}, {}, 'ListBuckets'),
    ('PUT', 'b', '', {}, {}, 'CreateBucket'),
    ('GET', 'b', '', {'uploads': ''}, {}, 'ListMultipartUploads'),
    ('POST', 'b', '', {'delete': ''}, {}, 'DeleteObjects'),
    ('PUT', 'b', 'k', {'uploadId': 'u', 'partNumber': '1'}, {}, 'UploadPart'),
    ('PUT', 'b', 'k', {'uploadId': 'u'}, {'x-amz-copy-source': 'b/s'}, 'UploadPartCopy'),
    ('PUT', 'b', 'k', {}, {'x-amz-copy-source': 'b/s'}, 'CopyObject'),
    ('HEAD', 'b', 'k', {}, {}, 'HeadObject'),
    ('DELETE', 'b', 'k', {'uploadId': 'u'}, {}, 'AbortMultipartUpload'),
    ('POST', 'b', 'k', {'uploadId': 'u'}, {}, 'CompleteMultipartUpload'),
    ('POST', 'b', 'k', {}, {}, 'MethodNotAllowed'),
    ('PATCH', 'b', '', {}, {}, 'NotImplemented'),
])
def test_s3_classify(method, bucket, key, query, headers, op):
    assert s3api.classify(method, bucket, key, query, headers) == op


def test_every_s3_operation_has_a_rule_and_a_handler():
    assert set(s3api.OPERATIONS) == set(policies.S3)
    rules = {r.name: r.check_str for r in policies.list_rules()}
    for op, rule in policies.S3.items():
        assert rule in rules, op
        write = not op.startswith(('Get', 'Head', 'List'))   # the readers
        assert ('project_member' in rules[rule]) == write, op
    for (_level, method), rule in policies.SWIFT.items():
        assert ('project_member' in rules[rule]) == (method not in ('GET', 'HEAD')), rule


def test_standalone_never_touches_the_identity_database(conf, monkeypatch):
    from iaas.db import identity as db

    def boom(*a, **k):
        raise AssertionError('the identity database was queried')
    monkeypatch.setattr(db, 'credential_get_by_access', boom)
    conf.set_override('use_identity', False, group='objectstore')
    conf.set_override('ring_path', str(conf.state_path) + '/object.ring.json',
                      group='objectstore')
    auth = Auth.from_conf(conf)
    assert auth.s3_credential('AKIDUNKNOWN') is None
    with pytest.raises(AuthError) as e:
        auth.identify('gAAAAAsome-identity-token')
    assert e.value.code == 401
    conf.set_override('use_identity', True, group='objectstore')
    # use_identity on but no identity database: still standalone, and no
    # database file appears.
    db_file = os.path.join(conf.state_path, 'iaas.sqlite')
    auth = Auth.from_conf(conf)
    assert auth.s3_credential('AKIDUNKNOWN2') is None
    with pytest.raises(AuthError) as e:
        auth.identify('gAAAAAsome-identity-token')
    assert e.value.code == 401
    assert not os.path.exists(db_file)
    open(db_file, 'w').close()     # the database exists: identity is asked
    with pytest.raises(AuthError) as e:      # (it would have asked identity)
        auth.s3_credential('AKIDUNKNOWN3')
    assert e.value.code == 503


def test_unscoped_context_gets_no_account():
    from iaas.context import RequestContext
    auth = Auth([], 'secret', use_identity=False)
    with pytest.raises(AuthError) as e:
        auth._context_identity(RequestContext(user_id='u', project_id=None, roles=[]))
    assert e.value.code == 403
    ident = auth._context_identity(RequestContext(user_id='u', project_id='p',
                                                  roles=['reader']))
    assert ident.account == 'AUTH_p' and ident.read_only


def test_reader_never_writes_even_through_a_write_acl():
    auth = Auth([], 'secret', use_identity=False)
    reader = Identity(user='u', account='AUTH_p', project_id='p', read_only=True)
    with pytest.raises(AuthError):
        auth.authorize(reader, 'PUT', 'AUTH_q', 'c', 'o', {'write': 'p:*'})
    auth.authorize(reader, 'GET', 'AUTH_q', 'c', 'o', {'read': 'p:*'})
