"""S3 POST object (browser form upload with a signed policy)."""
import base64
import datetime
import hashlib
import hmac
import json

import pytest
import requests


def _form(conditions, fields, secret='testing', seconds=600):
    exp = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)
    policy = base64.b64encode(json.dumps({
        'expiration': exp.strftime('%Y-%m-%dT%H:%M:%SZ'), 'conditions': conditions}).encode())
    sig = base64.b64encode(hmac.new(secret.encode(), policy, hashlib.sha1).digest())
    return dict({'AWSAccessKeyId': 'test:tester', 'policy': policy, 'signature': sig}, **fields)


def _post(store, bucket, form, data=b'bar', filename='up.txt'):
    files = [(k, (None, v)) for k, v in form.items()] + [('file', (filename, data))]
    return requests.post(f'{store.url}/{bucket}', files=files, allow_redirects=False)


def test_post_object(s3, store):
    s3.create_bucket(Bucket='form')
    conds = [{'bucket': 'form'}, ['starts-with', '$key', 'foo'],
             ['starts-with', '$Content-Type', 'text/'], ['content-length-range', 0, 1024]]
    r = _post(store, 'form', _form(conds, {'key': 'foo.txt', 'Content-Type': 'text/plain'}))
    assert r.status_code == 204, r.content
    got = s3.get_object(Bucket='form', Key='foo.txt')
    assert got['Body'].read() == b'bar' and got['ContentType'] == 'text/plain'
    r = _post(store, 'form', _form(conds + [{'success_action_status': '201'}], {
        'key': 'foo${filename}', 'Content-Type': 'text/plain',
        'success_action_status': '201'}))
    assert r.status_code == 201 and b'<Key>fooup.txt</Key>' in r.content
    assert s3.get_object(Bucket='form', Key='fooup.txt')['Body'].read() == b'bar'


@pytest.mark.parametrize('change,status', [
    ({'signature': 'AAAA'}, 403),                       # bad signature
    ({'x-amz-meta-extra': 'not in the policy'}, 403),   # field without a condition
    ({'key': 'bar.txt'}, 403),                          # starts-with fails
    ({'AWSAccessKeyId': 'no:body'}, 403),
])
def test_post_object_refused(s3, store, change, status):
    s3.create_bucket(Bucket='form')
    conds = [{'bucket': 'form'}, ['starts-with', '$key', 'foo']]
    form = _form(conds, {'key': 'foo.txt'})
    form.update(change)
    assert _post(store, 'form', form).status_code == status
    assert s3.list_objects_v2(Bucket='form')['KeyCount'] == 0


def test_post_object_policy_limits(s3, store):
    s3.create_bucket(Bucket='form')
    conds = [{'bucket': 'form'}, ['starts-with', '$key', ''], ['content-length-range', 0, 2]]
    assert _post(store, 'form', _form(conds, {'key': 'k'}), data=b'abc').status_code == 400
    assert _post(store, 'form', _form(conds, {'key': 'k'}, seconds=-60)).status_code == 403
    assert _post(store, 'form', _form([['ends-with', '$key', '']],
                                      {'key': 'k'})).status_code == 400
    assert s3.list_objects_v2(Bucket='form')['KeyCount'] == 0


def test_post_object_tagging(s3, store):
    s3.create_bucket(Bucket='formtags')
    tagging = ('<Tagging><TagSet><Tag><Key>0</Key><Value>0</Value></Tag></TagSet>'
               '</Tagging>')
    conds = [{'bucket': 'formtags'}, ['starts-with', '$key', ''],
             ['starts-with', '$tagging', '']]
    r = _post(store, 'formtags', _form(conds, {'key': 'k', 'tagging': tagging}))
    assert r.status_code == 204, r.content
    assert s3.get_object_tagging(Bucket='formtags', Key='k')['TagSet'] == [
        {'Key': '0', 'Value': '0'}]
    r = _post(store, 'formtags', _form(conds, {'key': 'bad', 'tagging': '<Tagging'}))
    assert r.status_code == 400


def test_post_object_conditions_see_the_stored_key_in_any_case(s3, store):
    s3.create_bucket(Bucket='form')
    # ${filename} is replaced before the conditions are checked
    conds = [{'bucket': 'form'}, ['starts-with', '$key', 'up']]
    assert _post(store, 'form', _form(conds, {'key': '${filename}'})).status_code == 204
    assert s3.get_object(Bucket='form', Key='up.txt')['Body'].read() == b'bar'
    assert _post(store, 'form', _form(conds, {'key': '${filename}'}),
                 filename='other.txt').status_code == 403
    # condition names and field names in any case
    conds = [{'bUcKeT': 'form'}, ['StArTs-WiTh', '$KeY', 'foo'], ['EQ', '$aCl', 'private']]
    assert _post(store, 'form', _form(conds, {'kEy': 'foo1', 'aCl': 'private'})).status_code \
        == 204
    r = _post(store, 'form', _form(conds + [{'success_action_status': '201'}], {
        'key': 'foo2', 'acl': 'private', 'success_action_status': '201'}))
    # S3's PostResponse has no namespace
    assert r.status_code == 201 and r.content.split(b'?>')[-1].lstrip().startswith(
        b'<PostResponse><Location>')
    assert sorted(o['Key'] for o in s3.list_objects_v2(Bucket='form')['Contents']) == [
        'foo1', 'foo2', 'up.txt']


def test_anonymous_post_object_needs_a_public_write_bucket(s3, store):
    s3.create_bucket(Bucket='form-priv')
    s3.create_bucket(Bucket='form-pub', ACL='public-read-write')
    files = [('key', (None, 'k')), ('acl', (None, 'public-read')),
             ('file', ('f.txt', b'anon'))]
    r = requests.post(f'{store.url}/form-priv', files=files)
    assert r.status_code == 403 and b'AccessDenied' in r.content
    assert requests.post(f'{store.url}/nobucket', files=files).status_code == 404
    r = requests.post(f'{store.url}/form-pub', files=files)
    assert r.status_code == 204, r.content
    assert s3.get_object(Bucket='form-pub', Key='k')['Body'].read() == b'anon'
    # the object is the bucket owner's, with the form's ACL
    acl = s3.get_object_acl(Bucket='form-pub', Key='k')
    assert acl['Owner']['ID'] == 'test:tester'
    assert requests.get(f'{store.url}/form-pub/k').content == b'anon'
    assert 'Contents' not in s3.list_objects_v2(Bucket='form-priv')
