"""The S3 ACL model: canned ACLs, grant headers, policy documents and who
they let do what."""
import pytest
import webob

from iaas.api.objectstore.s3 import acl as s3acl
from iaas.api.objectstore.s3.acl import ACL, ALL_USERS, AUTH_USERS, LOG_DELIVERY
from iaas.api.objectstore.s3.xmldoc import S3Error


def req(**headers):
    return webob.Request.blank('/b/k', headers=headers)


def code_of(fn, *args):
    with pytest.raises(S3Error) as e:
        fn(*args)
    return e.value.code


@pytest.mark.parametrize('name, user, perm, allowed', [
    ('private', 'bob', 'READ', False),
    ('public-read', 'bob', 'READ', True),
    ('public-read', 'bob', 'WRITE', False),
    ('public-read', 'bob', 'READ_ACP', False),
    ('public-read-write', 'bob', 'WRITE', True),
    ('public-read-write', 'bob', 'WRITE_ACP', False),
    ('authenticated-read', 'bob', 'READ', True),
    ('bucket-owner-read', 'bucketowner', 'READ', True),
    ('bucket-owner-read', 'bucketowner', 'WRITE_ACP', False),
    ('bucket-owner-full-control', 'bucketowner', 'WRITE_ACP', True),
    ('log-delivery-write', 'bob', 'WRITE', False),     # nobody is the log service
])
def test_canned_grants(name, user, perm, allowed):
    acl = s3acl.canned(name, 'alice', 'bucketowner')
    assert acl.allows(user, perm) is allowed
    assert acl.allows('alice', perm)          # the owner always


def test_canned_order_owner_last_as_s3_lists_it():
    acl = s3acl.canned('public-read-write', 'alice')
    assert acl.grants == [('uri', ALL_USERS, 'READ'), ('uri', ALL_USERS, 'WRITE'),
                          ('id', 'alice', 'FULL_CONTROL')]


def test_unknown_canned_acl_is_invalid_argument():
    assert code_of(s3acl.canned, 'public-everything', 'alice') == 'InvalidArgument'


def test_grant_headers():
    acl = s3acl.from_headers(req(**{
        'x-amz-grant-read': 'id="bob", uri="%s"' % AUTH_USERS,
        'x-amz-grant-write-acp': 'id=carol'}), 'alice')
    assert acl.owner == 'alice'
    assert ('id', 'bob', 'READ') in acl.grants and ('id', 'carol', 'WRITE_ACP') in acl.grants
    assert acl.allows('dave', 'READ') and not acl.allows('dave', 'WRITE')
    assert acl.allows('carol', 'WRITE_ACP') and not acl.allows('carol', 'WRITE')


@pytest.mark.parametrize('headers, code', [
    ({'x-amz-acl': 'private', 'x-amz-grant-read': 'id=bob'}, 'InvalidRequest'),
    ({'x-amz-grant-read': 'bob'}, 'InvalidArgument'),
    ({'x-amz-grant-read': 'uri="http://example.com/everyone"'}, 'InvalidArgument'),
    ({'x-amz-grant-read': 'id=""'}, 'InvalidArgument'),
    ({'x-amz-grant-read': 'emailAddress="a@b.c"'}, 'UnresolvableGrantByEmailAddress'),
    ({'x-amz-grant-read': ','.join(f'id=u{i}' for i in range(101))}, 'MalformedACLError'),
])
def test_bad_grant_headers(headers, code):
    assert code_of(s3acl.from_headers, req(**headers), 'alice') == code


def test_no_acl_headers():
    assert s3acl.from_headers(req(), 'alice') is None


POLICY = ('<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
          '<Owner><ID>{owner}</ID></Owner><AccessControlList>{grants}</AccessControlList>'
          '</AccessControlPolicy>')
GRANT = ('<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
         'xsi:type="{type}">{who}</Grantee><Permission>{perm}</Permission></Grant>')


def policy(owner='alice', *grants):
    return POLICY.format(owner=owner, grants=''.join(
        GRANT.format(type=t, who=w, perm=p) for t, w, p in grants)).encode()


def test_policy_document_round_trip():
    body = policy('alice', ('CanonicalUser', '<ID>bob</ID>', 'READ'),
                  ('Group', f'<URI>{LOG_DELIVERY}</URI>', 'WRITE'))
    acl = s3acl.from_xml(body, 'alice')
    assert acl.grants == [('id', 'bob', 'READ'), ('uri', LOG_DELIVERY, 'WRITE')]
    assert ACL.load(acl.dump()) == acl
    xml = s3acl.ACL.xml(acl)
    assert xml.find('Owner/ID').text == 'alice'


def test_policy_document_with_no_grants():
    acl = s3acl.from_xml(policy('alice'), 'alice')
    assert acl.grants == [] and acl.allows('alice', 'WRITE_ACP')
    assert not acl.allows('bob', 'READ')


@pytest.mark.parametrize('body, code', [
    (b'<nonsense', 'MalformedXML'),
    (b'<Other/>', 'MalformedACLError'),
    (policy('mallory'), 'AccessDenied'),          # nobody hands a resource over
    (policy('alice', ('CanonicalUser', '<ID>bob</ID>', 'EVERYTHING')), 'MalformedACLError'),
    (policy('alice', ('CanonicalUser', '', 'READ')), 'MalformedACLError'),
    (policy('alice', ('Group', '<URI>http://x/y</URI>', 'READ')), 'InvalidArgument'),
    (policy('alice', ('AmazonCustomerByEmail', '<EmailAddress>a@b</EmailAddress>',
                      'READ')), 'UnresolvableGrantByEmailAddress'),
])
def test_bad_policy_documents(body, code):
    assert code_of(s3acl.from_xml, body, 'alice') == code


@pytest.mark.parametrize('value', [None, ''])
def test_no_stored_acl(value):
    assert ACL.load(value) is None


@pytest.mark.parametrize('value', ['not json', '{"Owner": "a"}', '[1, 2]',
                                   '{"Owner": "a", "Grants": [["id"]]}'])
def test_unreadable_stored_acl_lets_nobody_in(value):
    acl = ACL.load(value)
    assert not any(acl.allows(u, 'READ') for u in ('a', '', 'bob'))


def test_anonymous_callers_get_allusers_grants_only():
    acl = ACL('alice', [('uri', AUTH_USERS, 'READ'), ('uri', ALL_USERS, 'WRITE'),
                        ('id', '', 'FULL_CONTROL')])
    assert not acl.allows('', 'READ')          # AuthenticatedUsers is signed callers
    assert acl.allows('bob', 'READ')
    assert acl.allows('', 'WRITE') and not acl.allows('', 'READ_ACP')   # no '' grantee
    # IgnorePublicAcls: the two groups' grants count for nothing
    assert not acl.allows('bob', 'READ', public=False)
    assert not acl.allows('', 'WRITE', public=False)
    assert acl.allows('alice', 'READ', public=False)
    ident = s3acl.anonymous('AUTH_x')
    assert s3acl.is_anonymous(ident) and s3acl.principal(ident) == ''
    assert ident.scope == ('AUTH_x', None)
