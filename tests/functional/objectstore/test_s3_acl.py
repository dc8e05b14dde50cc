"""S3 ACLs end to end: test:tester owns the buckets, test:alt is another
S3 user (.admin) of the same Swift account, test2:tester2 another account.
A grant only ever widens what S3 says it widens, nobody but the owner (or
a WRITE_ACP grantee) changes an ACL, and another account sees nothing."""
import botocore.exceptions
import pytest
import requests

from tests.functional.objectstore.conftest import s3_client


@pytest.fixture
def alt(store):
    return s3_client(store.url, 'test:alt', 'altpass')


@pytest.fixture
def other(store):
    return s3_client(store.url, 'test2:tester2', 'testing2')


def denied(call, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kw)
    return e.value.response['Error']['Code']


def grants(resp):
    return sorted((g['Grantee'].get('ID') or g['Grantee']['URI'], g['Permission'])
                  for g in resp['Grants'])


def setup_access(s3, bucket_acl, object_acl):
    s3.create_bucket(Bucket='acl-b', ACL=bucket_acl)
    s3.put_object(Bucket='acl-b', Key='a', Body=b'A', ACL=object_acl)
    s3.put_object(Bucket='acl-b', Key='b', Body=b'B')


def test_private_bucket_is_closed_to_the_other_user(s3, alt):
    setup_access(s3, 'private', 'private')
    for call, kw in ((alt.get_object, {'Key': 'a'}), (alt.head_object, {'Key': 'b'}),
                     (alt.list_objects, {}), (alt.list_objects_v2, {}),
                     (alt.put_object, {'Key': 'a', 'Body': b'x'}),
                     (alt.put_object, {'Key': 'new', 'Body': b'x'}),
                     (alt.delete_object, {'Key': 'a'}), (alt.delete_bucket, {}),
                     (alt.get_bucket_acl, {}), (alt.get_object_acl, {'Key': 'a'})):
        assert denied(call, Bucket='acl-b', **kw) in ('AccessDenied', '403')
    # a key that does not exist is not told apart from one that does
    assert denied(alt.get_object, Bucket='acl-b', Key='nothing') == 'AccessDenied'
    assert s3.get_object(Bucket='acl-b', Key='a')['Body'].read() == b'A'
    assert sorted(o['Key'] for o in s3.list_objects(Bucket='acl-b')['Contents']) == ['a', 'b']


def test_public_read_bucket_lists_but_objects_keep_their_own_acl(s3, alt):
    setup_access(s3, 'public-read', 'public-read')
    assert sorted(o['Key'] for o in alt.list_objects(Bucket='acl-b')['Contents']) == [
        'a', 'b']
    assert alt.get_object(Bucket='acl-b', Key='a')['Body'].read() == b'A'
    assert denied(alt.get_object, Bucket='acl-b', Key='b') == 'AccessDenied'
    assert denied(alt.put_object, Bucket='acl-b', Key='a', Body=b'x') == 'AccessDenied'
    assert denied(alt.put_object, Bucket='acl-b', Key='new', Body=b'x') == 'AccessDenied'
    assert s3.get_object(Bucket='acl-b', Key='a')['Body'].read() == b'A'


def test_public_read_write_bucket_takes_writes_owned_by_the_writer(s3, alt):
    setup_access(s3, 'public-read-write', 'private')
    alt.put_object(Bucket='acl-b', Key='a', Body=b'by alt')
    alt.put_object(Bucket='acl-b', Key='new', Body=b'new', ACL='bucket-owner-read')
    acl = alt.get_object_acl(Bucket='acl-b', Key='new')
    assert acl['Owner']['ID'] == 'test:alt'
    assert grants(acl) == [('test:alt', 'FULL_CONTROL'), ('test:tester', 'READ')]
    assert s3.get_object(Bucket='acl-b', Key='new')['Body'].read() == b'new'
    # the bucket's WRITE does not let alt change the bucket's ACL
    assert denied(alt.put_bucket_acl, Bucket='acl-b', ACL='public-read') == 'AccessDenied'
    assert ('http://acs.amazonaws.com/groups/global/AllUsers', 'WRITE') in grants(
        s3.get_bucket_acl(Bucket='acl-b'))


def test_only_the_owner_changes_an_acl(s3, alt):
    s3.create_bucket(Bucket='acl-b', ACL='public-read')
    s3.put_object(Bucket='acl-b', Key='k', Body=b'x', ACL='public-read')
    before = (grants(s3.get_bucket_acl(Bucket='acl-b')),
              grants(s3.get_object_acl(Bucket='acl-b', Key='k')))
    assert denied(alt.put_bucket_acl, Bucket='acl-b', ACL='public-read-write') == \
        'AccessDenied'
    assert denied(alt.put_object_acl, Bucket='acl-b', Key='k',
                  ACL='public-read-write') == 'AccessDenied'
    # nor can the owner hand the bucket to someone else in a policy document
    policy = {'Owner': {'ID': 'test:alt'}, 'Grants': [
        {'Grantee': {'ID': 'test:alt', 'Type': 'CanonicalUser'},
         'Permission': 'FULL_CONTROL'}]}
    assert denied(s3.put_bucket_acl, Bucket='acl-b', AccessControlPolicy=policy) == \
        'AccessDenied'
    assert before == (grants(s3.get_bucket_acl(Bucket='acl-b')),
                      grants(s3.get_object_acl(Bucket='acl-b', Key='k')))


def test_write_acp_grant_lets_the_grantee_change_the_acl(s3, alt):
    s3.create_bucket(Bucket='acl-b')
    s3.put_bucket_acl(Bucket='acl-b', GrantWriteACP='id="test:alt"',
                      GrantFullControl='id="test:tester"')
    alt.put_bucket_acl(Bucket='acl-b', ACL='public-read')
    acl = s3.get_bucket_acl(Bucket='acl-b')
    assert acl['Owner']['ID'] == 'test:tester'      # the owner stays
    assert alt.list_objects(Bucket='acl-b')['Name'] == 'acl-b'


def test_revoked_grants_leave_the_owner_in_control(s3, alt):
    s3.create_bucket(Bucket='acl-b')
    s3.put_object(Bucket='acl-b', Key='k', Body=b'x')
    owner = s3.get_bucket_acl(Bucket='acl-b')['Owner']
    s3.put_bucket_acl(Bucket='acl-b', AccessControlPolicy={'Owner': owner, 'Grants': []})
    assert s3.get_bucket_acl(Bucket='acl-b')['Grants'] == []
    s3.delete_object(Bucket='acl-b', Key='k')
    s3.delete_bucket(Bucket='acl-b')


def test_bucket_names_and_listings(s3, alt, other):
    s3.create_bucket(Bucket='acl-b', ACL='public-read-write')
    code = denied(alt.create_bucket, Bucket='acl-b')
    assert code == 'BucketAlreadyExists'
    assert denied(s3.create_bucket, Bucket='acl-b') == 'BucketAlreadyOwnedByYou'
    assert grants(s3.get_bucket_acl(Bucket='acl-b'))[-1] == ('test:tester', 'FULL_CONTROL')
    alt.create_bucket(Bucket='alt-b')
    assert [b['Name'] for b in s3.list_buckets()['Buckets']] == ['acl-b']
    assert [b['Name'] for b in alt.list_buckets()['Buckets']] == ['alt-b']
    # another account: even a public-read-write bucket is not there
    assert other.list_buckets()['Buckets'] == []
    assert denied(other.list_objects, Bucket='acl-b') == 'NoSuchBucket'
    assert denied(other.get_bucket_acl, Bucket='acl-b') == 'NoSuchBucket'


def test_copy_needs_read_on_the_source(s3, alt):
    s3.create_bucket(Bucket='src-b')
    s3.put_object(Bucket='src-b', Key='k', Body=b'secret')
    alt.create_bucket(Bucket='alt-b')
    assert denied(alt.copy_object, Bucket='alt-b', Key='stolen',
                  CopySource={'Bucket': 'src-b', 'Key': 'k'}) == 'AccessDenied'
    assert 'Contents' not in alt.list_objects(Bucket='alt-b')
    s3.put_object_acl(Bucket='src-b', Key='k', GrantRead='id="test:alt"')
    alt.copy_object(Bucket='alt-b', Key='copied', CopySource={'Bucket': 'src-b', 'Key': 'k'},
                    ACL='public-read')
    assert alt.get_object(Bucket='alt-b', Key='copied')['Body'].read() == b'secret'
    acl = alt.get_object_acl(Bucket='alt-b', Key='copied')
    assert acl['Owner']['ID'] == 'test:alt' and len(acl['Grants']) == 2


def test_acl_change_keeps_the_object(s3):
    s3.create_bucket(Bucket='acl-b')
    s3.put_object(Bucket='acl-b', Key='k', Body=b'data', ContentType='text/x-mine',
                  Metadata={'colour': 'blue'})
    before = s3.head_object(Bucket='acl-b', Key='k')
    s3.put_object_acl(Bucket='acl-b', Key='k', ACL='authenticated-read')
    after = s3.head_object(Bucket='acl-b', Key='k')
    for k in ('ContentType', 'ETag', 'Metadata', 'ContentLength'):
        assert before[k] == after[k]
    assert s3.get_object(Bucket='acl-b', Key='k')['Body'].read() == b'data'


@pytest.mark.parametrize('kw, code', [
    ({'ACL': 'public-everything'}, 'InvalidArgument'),
    ({'GrantRead': 'nonsense'}, 'InvalidArgument'),
    ({'GrantRead': 'emailAddress="a@example.com"'}, 'UnresolvableGrantByEmailAddress'),
    ({'GrantRead': 'id="test:nobody"'}, 'InvalidArgument'),       # no such user
    ({'AccessControlPolicy': {'Owner': {'ID': 'test:tester'}, 'Grants': [
        {'Grantee': {'ID': '_foo', 'Type': 'CanonicalUser'},
         'Permission': 'FULL_CONTROL'}]}}, 'InvalidArgument'),
    ({'ACL': 'public-read', 'GrantRead': 'id="test:alt"'}, 'InvalidRequest'),
    ({'AccessControlPolicy': {'Owner': {'ID': 'test:tester'}, 'Grants': [
        {'Grantee': {'URI': 'http://example.com/all', 'Type': 'Group'},
         'Permission': 'READ'}]}}, 'InvalidArgument'),
])
def test_bad_acls_are_refused_and_change_nothing(s3, kw, code):
    s3.create_bucket(Bucket='acl-b')
    s3.put_object(Bucket='acl-b', Key='k', Body=b'x')
    before = grants(s3.get_bucket_acl(Bucket='acl-b'))
    assert denied(s3.put_bucket_acl, Bucket='acl-b', **kw) == code
    assert denied(s3.put_object_acl, Bucket='acl-b', Key='k', **kw) == code
    assert grants(s3.get_bucket_acl(Bucket='acl-b')) == before
    assert grants(s3.get_object_acl(Bucket='acl-b', Key='k')) == [
        ('test:tester', 'FULL_CONTROL')]


def test_a_new_bucket_or_object_grants_known_users_only(s3):
    assert denied(s3.create_bucket, Bucket='acl-n', GrantRead='id="nobody:here"') == \
        'InvalidArgument'
    with pytest.raises(botocore.exceptions.ClientError):
        s3.head_bucket(Bucket='acl-n')
    s3.create_bucket(Bucket='acl-n', GrantRead='id="test2:tester2"')
    assert denied(s3.put_object, Bucket='acl-n', Key='k', Body=b'x',
                  GrantRead='id="nobody:here"') == 'InvalidArgument'
    assert 'Contents' not in s3.list_objects_v2(Bucket='acl-n')


def test_malformed_policy_document_is_400(store, s3):
    s3.create_bucket(Bucket='acl-b')
    from tests.functional.objectstore.test_s3_subresources import signed
    for body in (b'<AccessControlPolicy><Owner>', b'<AccessControlPolicy/>', b'\xff\xfe'):
        r = signed(store, 'PUT', '/acl-b?acl', body=body)
        assert r.status_code == 400 and b'<Code>Malformed' in r.content


def test_anonymous_gets_what_allusers_grants(store, s3, other):
    s3.create_bucket(Bucket='acl-b', ACL='public-read')
    s3.put_object(Bucket='acl-b', Key='k', Body=b'x', ACL='public-read')
    s3.put_object(Bucket='acl-b', Key='p', Body=b'secret')
    s3.put_object(Bucket='acl-b', Key='a', Body=b'auth', ACL='authenticated-read')
    url = store.url + '/acl-b'
    assert requests.get(url + '/k').content == b'x'
    r = requests.get(url)
    assert r.status_code == 200 and b'<Key>k</Key>' in r.content
    for key in ('p', 'a'):     # private; AuthenticatedUsers is not anonymous
        r = requests.get(f'{url}/{key}')
        assert r.status_code == 403 and b'<Code>AccessDenied</Code>' in r.content
    assert b'<Code>NoSuchKey</Code>' in requests.get(url + '/none').content
    # READ is not WRITE, and nothing but the owner changes an ACL
    assert requests.put(url + '/new', data=b'y').status_code == 403
    assert requests.delete(url + '/k').status_code == 403
    assert requests.put(url + '?acl', headers={'x-amz-acl': 'public-read-write'}
                        ).status_code == 403
    # the Swift API is not opened by S3 grants
    assert requests.get(store.url + '/v1/AUTH_test/acl-b/k').status_code == 401
    # a caller naming another bucket owner is refused
    r = requests.get(url + '/k', headers={'x-amz-expected-bucket-owner': 'test:alt'})
    assert r.status_code == 403
    assert s3.get_object(Bucket='acl-b', Key='k', ExpectedBucketOwner='test:tester')
    # a name another account also uses reaches the first one's bucket only
    other.create_bucket(Bucket='acl-b', ACL='public-read')
    other.put_object(Bucket='acl-b', Key='k', Body=b'other', ACL='public-read')
    assert requests.get(url + '/k').content == b'x'
    # once gone, it is NoSuchBucket to anonymous callers too
    for key in ('k', 'p', 'a'):
        s3.delete_object(Bucket='acl-b', Key=key)
    s3.delete_bucket(Bucket='acl-b')
    r = requests.get(url + '/k')
    assert r.status_code == 404 and b'<Code>NoSuchBucket</Code>' in r.content
    assert requests.get(store.url).status_code == 403       # ListBuckets
    assert requests.put(store.url + '/anon-new').status_code == 404   # CreateBucket


def test_anonymous_writes_only_where_allusers_may(store, s3):
    s3.create_bucket(Bucket='acl-w', ACL='public-read-write')
    r = requests.put(store.url + '/acl-w/k', data=b'anon')
    assert r.status_code == 200
    acl = s3.get_object_acl(Bucket='acl-w', Key='k')      # the bucket owner's
    assert acl['Owner']['ID'] == 'test:tester'
    assert s3.get_object(Bucket='acl-w', Key='k')['Body'].read() == b'anon'
    assert requests.get(store.url + '/acl-w/k').status_code == 403   # private object
    assert requests.delete(store.url + '/acl-w/k').status_code == 204
    # IgnorePublicAcls: the public grants count for nothing
    s3.put_object(Bucket='acl-w', Key='pub', Body=b'p', ACL='public-read')
    assert requests.get(store.url + '/acl-w/pub').content == b'p'
    s3.put_public_access_block(Bucket='acl-w', PublicAccessBlockConfiguration={
        'IgnorePublicAcls': True})
    assert requests.get(store.url + '/acl-w/pub').status_code == 403
    assert requests.get(store.url + '/acl-w').status_code == 403
    assert requests.put(store.url + '/acl-w/k2', data=b'x').status_code == 403
    assert s3.get_object(Bucket='acl-w', Key='pub')['Body'].read() == b'p'


def test_a_bucket_without_an_acl_is_closed_to_anonymous(store, s3):
    token, url = store.token()
    requests.put(url + '/swift-made', headers={'X-Auth-Token': token})
    requests.put(url + '/swift-made/k', data=b'x', headers={'X-Auth-Token': token})
    assert requests.get(store.url + '/swift-made/k').status_code == 404   # not indexed
    s3.put_bucket_acl(Bucket='swift-made', ACL='public-read')    # joins the index
    assert requests.get(store.url + '/swift-made').status_code == 200
    assert requests.get(store.url + '/swift-made/k').status_code == 403   # no object ACL


def test_ignore_public_acls_applies_to_signed_callers(s3, alt):
    s3.create_bucket(Bucket='acl-i', ACL='public-read')
    s3.put_object(Bucket='acl-i', Key='k', Body=b'x', ACL='public-read')
    assert alt.get_object(Bucket='acl-i', Key='k')['Body'].read() == b'x'
    s3.put_public_access_block(Bucket='acl-i', PublicAccessBlockConfiguration={
        'IgnorePublicAcls': True})
    assert denied(alt.get_object, Bucket='acl-i', Key='k') == 'AccessDenied'
    assert denied(alt.list_objects, Bucket='acl-i') == 'AccessDenied'
    assert s3.get_object(Bucket='acl-i', Key='k')['Body'].read() == b'x'


def test_swift_clients_cannot_forge_acls(store, s3):
    s3.create_bucket(Bucket='acl-b')
    token, url = store.token()
    forged = '{"Owner":"test:alt","Grants":[["uri","http://acs.amazonaws.com/groups/' \
             'global/AllUsers","FULL_CONTROL"]]}'
    r = requests.post(url + '/acl-b', headers={'X-Auth-Token': token,
                                               'X-Container-Sysmeta-S3-Acl': forged})
    assert r.status_code == 204
    r = requests.put(url + '/acl-b/k', data=b'x', headers={
        'X-Auth-Token': token, 'X-Object-Sysmeta-S3-Acl': forged})
    assert r.status_code == 201
    r = requests.post(url + '/acl-b/k', headers={'X-Auth-Token': token,
                                                 'X-Object-Sysmeta-S3-Acl': forged})
    assert r.status_code == 202
    assert grants(s3.get_bucket_acl(Bucket='acl-b')) == [('test:tester', 'FULL_CONTROL')]
    assert grants(s3.get_object_acl(Bucket='acl-b', Key='k')) == [
        ('test:tester', 'FULL_CONTROL')]
    r = requests.head(url + '/acl-b/k', headers={'X-Auth-Token': token})
    assert not any(k.lower().startswith('x-object-sysmeta') for k in r.headers)


def test_a_swift_made_container_keeps_the_accounts_access(store, s3, alt):
    token, url = store.token()
    requests.put(url + '/swift-made', headers={'X-Auth-Token': token})
    alt.put_object(Bucket='swift-made', Key='k', Body=b'x')
    assert s3.get_object(Bucket='swift-made', Key='k')['Body'].read() == b'x'


def test_an_old_version_keeps_its_own_acl(s3, alt):
    s3.create_bucket(Bucket='acl-v', ACL='public-read')
    s3.put_bucket_versioning(Bucket='acl-v', VersioningConfiguration={'Status': 'Enabled'})
    old = s3.put_object(Bucket='acl-v', Key='k', Body=b'old secret')['VersionId']
    new = s3.put_object(Bucket='acl-v', Key='k', Body=b'new', ACL='public-read')['VersionId']
    assert alt.get_object(Bucket='acl-v', Key='k')['Body'].read() == b'new'
    assert alt.get_object(Bucket='acl-v', Key='k', VersionId=new)['Body'].read() == b'new'
    assert denied(alt.get_object, Bucket='acl-v', Key='k', VersionId=old) == 'AccessDenied'
    alt.create_bucket(Bucket='alt-b')
    assert denied(alt.copy_object, Bucket='alt-b', Key='c', CopySource={
        'Bucket': 'acl-v', 'Key': 'k', 'VersionId': old}) == 'AccessDenied'
    assert s3.get_object(Bucket='acl-v', Key='k', VersionId=old)['Body'].read() == \
        b'old secret'


def test_acl_changes_reach_the_current_version_only(s3, alt):
    s3.create_bucket(Bucket='acl-v', ACL='public-read')
    s3.put_bucket_versioning(Bucket='acl-v', VersioningConfiguration={'Status': 'Enabled'})
    old = s3.put_object(Bucket='acl-v', Key='k', Body=b'old')['VersionId']
    cur = s3.put_object(Bucket='acl-v', Key='k', Body=b'new', ACL='public-read')['VersionId']
    # one old version's ACL is not changed here; nothing else is either
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.put_object_acl(Bucket='acl-v', Key='k', VersionId=old, ACL='public-read')
    assert e.value.response['ResponseMetadata']['HTTPStatusCode'] == 501
    assert len(s3.get_object_acl(Bucket='acl-v', Key='k', VersionId=old)['Grants']) == 1
    assert denied(alt.get_object, Bucket='acl-v', Key='k', VersionId=old) == 'AccessDenied'
    # making the current object private closes its version id too
    assert alt.get_object(Bucket='acl-v', Key='k', VersionId=cur)['Body'].read() == b'new'
    s3.put_object_acl(Bucket='acl-v', Key='k', ACL='private')
    assert denied(alt.get_object, Bucket='acl-v', Key='k') == 'AccessDenied'
    assert denied(alt.get_object, Bucket='acl-v', Key='k', VersionId=cur) == 'AccessDenied'
    assert s3.get_object(Bucket='acl-v', Key='k')['Body'].read() == b'new'


def test_multipart_upload_keeps_the_acl_asked_at_its_start(s3, alt):
    s3.create_bucket(Bucket='acl-b', ACL='public-read-write')
    up = alt.create_multipart_upload(Bucket='acl-b', Key='mp', ACL='public-read')
    etag = alt.upload_part(Bucket='acl-b', Key='mp', UploadId=up['UploadId'], PartNumber=1,
                           Body=b'part')['ETag']
    alt.complete_multipart_upload(Bucket='acl-b', Key='mp', UploadId=up['UploadId'],
                                  MultipartUpload={'Parts': [{'PartNumber': 1,
                                                              'ETag': etag}]})
    assert denied(s3.get_object_acl, Bucket='acl-b', Key='mp') == 'AccessDenied'
    acl = alt.get_object_acl(Bucket='acl-b', Key='mp')
    assert acl['Owner']['ID'] == 'test:alt'
    assert grants(acl) == [('http://acs.amazonaws.com/groups/global/AllUsers', 'READ'),
                           ('test:alt', 'FULL_CONTROL')]
    assert s3.get_object(Bucket='acl-b', Key='mp')['Body'].read() == b'part'


def _alt_form(bucket, fields):
    from tests.functional.objectstore.test_s3_post import _form
    conds = [{'bucket': bucket}, ['starts-with', '$key', '']] + [
        {k: v} for k, v in fields.items() if k != 'key']
    return dict(_form(conds, fields, secret='altpass'), AWSAccessKeyId='test:alt')


def test_form_post_obeys_the_bucket_acl(store, s3, alt):
    from tests.functional.objectstore.test_s3_post import _post
    s3.create_bucket(Bucket='acl-b')
    r = _post(store, 'acl-b', _alt_form('acl-b', {'key': 'k'}))
    assert r.status_code == 403 and b'AccessDenied' in r.content
    assert 'Contents' not in s3.list_objects(Bucket='acl-b')
    s3.put_bucket_acl(Bucket='acl-b', ACL='public-read-write')
    # an unsigned header does not choose the new object's ACL; the form's field does
    files = [(k, (None, v)) for k, v in _alt_form('acl-b', {'key': 'k'}).items()]
    r = requests.post(f'{store.url}/acl-b', files=files + [('file', ('f', b'x'))],
                      headers={'x-amz-acl': 'public-read-write'})
    assert r.status_code == 204, r.content
    assert grants(alt.get_object_acl(Bucket='acl-b', Key='k')) == [
        ('test:alt', 'FULL_CONTROL')]
    r = _post(store, 'acl-b', _alt_form('acl-b', {'key': 'k2', 'acl': 'public-read'}))
    assert r.status_code == 204, r.content
    assert s3.get_object(Bucket='acl-b', Key='k2')['Body'].read() == b'bar'


def test_an_upload_names_who_started_it(s3, alt):
    s3.create_bucket(Bucket='acl-mp', ACL='public-read-write')
    mine = s3.create_multipart_upload(Bucket='acl-mp', Key='a')['UploadId']
    theirs = alt.create_multipart_upload(Bucket='acl-mp', Key='b')['UploadId']
    for client in (s3, alt):
        got = [(u['UploadId'], u['Initiator']['ID'], u['Owner']['DisplayName'])
               for u in client.list_multipart_uploads(Bucket='acl-mp')['Uploads']]
        assert got == [(mine, 'test:tester', 'test:tester'), (theirs, 'test:alt', 'test:alt')]
    parts = s3.list_parts(Bucket='acl-mp', Key='b', UploadId=theirs)
    assert parts['Initiator']['ID'] == 'test:alt'
