"""Bucket policy parsing and statement matching (s3/bucketpolicy.py)."""
import json

import pytest

from iaas.api.objectstore.s3 import bucketpolicy as bp
from iaas.api.objectstore.s3.xmldoc import S3Error


def doc(**st):
    base = {'Effect': 'Allow', 'Principal': '*', 'Action': 's3:GetObject',
            'Resource': 'arn:aws:s3:::b/*'}
    base.update(st)
    return json.dumps({'Statement': base})


def test_a_single_statement_object_is_a_list_of_one():
    assert bp.parse(doc()) == [json.loads(doc())['Statement']]


@pytest.mark.parametrize('text, code', [
    ('[]', 'MalformedPolicy'),
    (doc(Effect='allow'), 'MalformedPolicy'),
    (doc(Principal='someone'), 'MalformedPolicy'),
    (doc(Principal={'Service': 'x'}), 'MalformedPolicy'),
    (doc(Action=''), 'MalformedPolicy'),
    (doc(Resource='b/*'), 'MalformedPolicy'),
    (doc(Condition={'StringEquals': 'x'}), 'MalformedPolicy'),
    (doc(Condition={'NumericLessThan': {'s3:max-keys': '10'}}), 'NotImplemented'),
    (doc(Condition={'StringEquals': {'aws:SourceVpc': 'v'}}), 'NotImplemented'),
])
def test_bad_documents(text, code):
    with pytest.raises(S3Error) as e:
        bp.parse(text)
    assert e.value.code == code


def match(st, action='s3:GetObject', resource='arn:aws:s3:::b/k', user='acct:u', ctx=None):
    st = {k: v for k, v in json.loads(doc(**st))['Statement'].items() if v is not None}
    bp._check_statement(st)
    return bp._statement_matches(st, action, resource, user, ctx or {})


def test_principals():
    assert match({}) and match({}, user='')
    assert match({'Principal': {'AWS': ['acct:u']}})
    assert match({'Principal': {'AWS': 'arn:aws:iam::acct:root'}})      # its account
    assert match({'Principal': {'AWS': 'arn:aws:iam::x:user/acct:u'}})
    assert not match({'Principal': {'AWS': 'acct:other'}})
    assert not match({'Principal': {'AWS': 'acct:u'}}, user='')           # anonymous
    assert not match({'Principal': None, 'NotPrincipal': {'AWS': 'acct:u'}})


def test_actions_and_resources_with_wildcards():
    assert match({'Action': 's3:get*'}) and match({'Action': ['s3:Put*', '*']})
    assert not match({'Action': 's3:GetObjectAcl'})
    assert not match({'Action': 's3:Get?'})
    assert match({'Resource': 'arn:aws:s3:::*'}) and match({'Resource': 'arn:aws:s3:::b/?'})
    assert not match({'Resource': 'arn:aws:s3:::b/k[1]'}, resource='arn:aws:s3:::b/k1')
    assert not match({'Resource': 'arn:aws:s3:::b'})      # the bucket, not its objects
    assert match({'Action': None, 'NotAction': 's3:PutObject'})


def test_conditions():
    cond = {'StringLike': {'s3:prefix': ['home/*']}}
    assert match({'Condition': cond}, ctx={'s3:prefix': 'home/x'})
    assert not match({'Condition': cond}, ctx={'s3:prefix': 'other'})
    assert not match({'Condition': cond}, ctx={})                       # absent: false
    assert match({'Condition': {'StringLikeIfExists': cond['StringLike']}}, ctx={})
    assert match({'Condition': {'StringNotEquals': {'s3:x-amz-acl': 'public-read'}}},
                 ctx={'s3:x-amz-acl': 'private'})
    assert not match({'Condition': {'StringNotEquals': {'s3:x-amz-acl': 'private'}}},
                     ctx={'s3:x-amz-acl': 'private'})
    assert match({'Condition': {'StringEqualsIgnoreCase': {'aws:Referer': 'HTTP://A'}}},
                 ctx={'aws:referer': 'http://a'})
