"""The EC2 Query protocol with unmodified boto3 and hand-made requests:
Signature V4 and V2, the error envelope and codes, bounds, DryRun, and
the actions every account has (regions, zones, instance types, key pairs)."""
import base64
import datetime
import hashlib
import hmac
import urllib.parse

import botocore.exceptions
import pytest
import requests

from iaas.api import ec2_auth


def code_of(call, *args, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(*args, **kw)
    return e.value.response['Error']['Code'], e.value.response['ResponseMetadata'][
        'HTTPStatusCode']


def v2_request(url, access, secret, params, method='POST', timestamp=None):
    host = urllib.parse.urlsplit(url).netloc
    p = dict(params, AWSAccessKeyId=access, SignatureVersion='2',
             SignatureMethod='HmacSHA256', Version='2016-11-15',
             Timestamp=timestamp or datetime.datetime.now(datetime.UTC).strftime(
                 '%Y-%m-%dT%H:%M:%SZ'))
    q = '&'.join(f"{urllib.parse.quote(k, safe='-_.~')}={urllib.parse.quote(v, safe='-_.~')}"
                 for k, v in sorted(p.items()))
    to_sign = f'{method}\n{host}\n/\n{q}'
    p['Signature'] = base64.b64encode(hmac.new(secret.encode(), to_sign.encode(),
                                               hashlib.sha256).digest()).decode()
    if method == 'GET':
        return requests.get(url + '/', params=p, timeout=10)
    return requests.post(url + '/', data=p, timeout=10)


def test_boto3_v4_describe_regions_and_zones(ec2):
    c = ec2.client('alice')
    regions = c.describe_regions()['Regions']
    assert [r['RegionName'] for r in regions] == ['RegionOne']
    zones = c.describe_availability_zones()['AvailabilityZones']
    assert zones and all(z['State'] == 'available' for z in zones)
    # requests signed for the AWS tools' default region are accepted too
    assert ec2.client('alice', region='us-east-1').describe_regions()['Regions']
    assert code_of(ec2.client('alice', region='eu-west-9').describe_regions) == \
        ('AuthFailure', 401)


def test_signature_v2_get_and_post(ec2):
    access, secret = ec2.cred['alice']
    for method in ('GET', 'POST'):
        r = v2_request(ec2.url, access, secret, {'Action': 'DescribeRegions'}, method)
        assert r.status_code == 200, r.text
        assert '<regionName>RegionOne</regionName>' in r.text
        assert 'DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"' \
            in r.text
    bad = v2_request(ec2.url, access, secret + 'x', {'Action': 'DescribeRegions'})
    assert bad.status_code == 401 and '<Code>AuthFailure</Code>' in bad.text
    assert '<RequestID>' in bad.text and '<RequestID></RequestID>' not in bad.text
    old = v2_request(ec2.url, access, secret, {'Action': 'DescribeRegions'},
                     timestamp='2020-01-01T00:00:00Z')
    assert old.status_code == 400 and '<Code>RequestExpired</Code>' in old.text


def test_wrong_secret_unknown_key_and_no_signature(ec2):
    access, secret = ec2.cred['alice']
    assert code_of(ec2.client(access=access, secret='x' * 40).describe_regions) == \
        ('AuthFailure', 401)
    assert code_of(ec2.client(access='AKIDNOTAKEY', secret=secret).describe_regions) == \
        ('AuthFailure', 401)
    r = requests.post(ec2.url + '/', data={'Action': 'DescribeRegions'}, timeout=10)
    assert r.status_code == 401 and '<Code>MissingAuthenticationToken</Code>' in r.text


def test_credentials_follow_the_users_current_state(ec2):
    c = ec2.client('carol')
    assert c.describe_regions()['Regions']
    os_ = ec2.os
    uid = ec2.user_ids['carol']
    os_.ok('identity', 'PATCH', f'/v3/users/{uid}', os_.admin, {'user': {'enabled': False}})
    ec2_auth.forget()
    assert code_of(c.describe_regions) == ('AuthFailure', 401)
    os_.ok('identity', 'PATCH', f'/v3/users/{uid}', os_.admin, {'user': {'enabled': True}})
    ec2_auth.forget()
    assert c.describe_regions()['Regions']
    pid = ec2.project_ids['alpha']
    os_.ok('identity', 'DELETE', f"/v3/projects/{pid}/users/{uid}/roles/"
           f"{os_.role_id('member')}", os_.admin)
    ec2_auth.forget()
    assert code_of(c.describe_regions) == ('AuthFailure', 401)


def test_unknown_and_unimplemented_actions(ec2):
    access, secret = ec2.cred['alice']
    r = v2_request(ec2.url, access, secret, {'Action': 'FlyToTheMoon'})
    assert r.status_code == 400 and '<Code>InvalidAction</Code>' in r.text
    r = v2_request(ec2.url, access, secret, {'Action': 'CreateVpc', 'CidrBlock': '10.0.0.0/16'})
    assert r.status_code == 501 and '<Code>NotImplemented</Code>' in r.text
    r = v2_request(ec2.url, access, secret, {})
    assert r.status_code == 400 and '<Code>MissingAction</Code>' in r.text


def test_bounded_and_malformed_parameters(ec2):
    access, secret = ec2.cred['alice']
    many = {f'KeyName.{i}': 'k' for i in range(1, 1200)}
    r = v2_request(ec2.url, access, secret, dict(many, Action='DescribeKeyPairs'))
    assert r.status_code == 400 and '<Code>InvalidParameterValue</Code>' in r.text
    for params in ({'KeyName.0': 'x'}, {'KeyName.99999999': 'x'}, {'KeyName..1': 'x'},
                   {'KeyName': 'a', 'KeyName.1': 'b'},
                   {'Filter.1.Value.1': 'x'}, {'Filter.1.Name': 'bogus', 'Filter.1.Value.1': 'x'}):
        r = v2_request(ec2.url, access, secret, dict(params, Action='DescribeKeyPairs'))
        assert r.status_code == 400 and r.headers['Content-Type'].startswith('text/xml'), \
            (params, r.text)
        assert '<Code>InvalidParameterValue</Code>' in r.text or \
            '<Code>MissingParameter</Code>' in r.text, (params, r.text)
    big = requests.post(ec2.url + '/', data=b'Action=DescribeRegions&x=' + b'y' * 200000,
                        headers={'Content-Type': 'application/x-www-form-urlencoded'},
                        timeout=10)
    assert big.status_code == 413, big.text


def test_dry_run(ec2):
    c = ec2.client('alice')
    assert code_of(c.create_key_pair, KeyName='dry', DryRun=True) == ('DryRunOperation', 412)
    assert c.describe_key_pairs()['KeyPairs'] == []
    assert code_of(ec2.client('reader').create_key_pair, KeyName='dry', DryRun=True) == \
        ('UnauthorizedOperation', 403)


def test_key_pairs(ec2):
    c = ec2.client('alice')
    made = c.create_key_pair(KeyName='k1')
    assert made['KeyMaterial'].startswith('-----BEGIN RSA PRIVATE KEY-----')
    assert made['KeyPairId'].startswith('key-')
    assert code_of(c.create_key_pair, KeyName='k1') == ('InvalidKeyPair.Duplicate', 400)
    pub = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEjvVC6NCvvFz0vt3QHQK4SMRCq/ObUBd2cEDMBwVbA5 t'
    imp = c.import_key_pair(KeyName='k2', PublicKeyMaterial=pub.encode())
    assert imp['KeyFingerprint'].count(':') == 15
    assert code_of(c.import_key_pair, KeyName='k3', PublicKeyMaterial=b'not a key') == \
        ('InvalidKey.Format', 400)
    keys = c.describe_key_pairs()['KeyPairs']
    assert sorted(k['KeyName'] for k in keys) == ['k1', 'k2']
    assert [k['KeyType'] for k in keys if k['KeyName'] == 'k2'] == ['ed25519']
    one = c.describe_key_pairs(Filters=[{'Name': 'key-name', 'Values': ['k*1']}])['KeyPairs']
    assert [k['KeyName'] for k in one] == ['k1']
    assert c.describe_key_pairs(KeyPairIds=[made['KeyPairId']])['KeyPairs'][0]['KeyName'] \
        == 'k1'
    assert code_of(c.describe_key_pairs, KeyNames=['nope']) == ('InvalidKeyPair.NotFound', 400)
    # the same key pairs through the compute API
    names = [k['keypair']['name'] for k in ec2.os.ok(
        'compute', 'GET', '/v2.1/os-keypairs', ec2.tokens['alice']).json['keypairs']]
    assert sorted(names) == ['k1', 'k2']
    # another user sees none of them and cannot delete them
    b = ec2.client('bob')
    assert b.describe_key_pairs()['KeyPairs'] == []
    assert code_of(b.describe_key_pairs, KeyNames=['k1']) == ('InvalidKeyPair.NotFound', 400)
    assert code_of(b.describe_key_pairs, KeyPairIds=[made['KeyPairId']]) == \
        ('InvalidKeyPair.NotFound', 400)
    b.delete_key_pair(KeyName='k1')
    assert code_of(b.delete_key_pair, KeyPairId=made['KeyPairId']) == \
        ('InvalidKeyPair.NotFound', 400)
    assert len(c.describe_key_pairs()['KeyPairs']) == 2
    # a reader may describe, not write
    r = ec2.client('reader')
    assert code_of(r.delete_key_pair, KeyName='k1') == ('UnauthorizedOperation', 403)
    c.delete_key_pair(KeyName='k1')
    c.delete_key_pair(KeyPairId=imp['KeyPairId'])
    assert c.describe_key_pairs()['KeyPairs'] == []


def test_instance_types_pages(ec2):
    c = ec2.client('alice')
    all_types = c.describe_instance_types()['InstanceTypes']
    assert all_types and all(t['VCpuInfo']['DefaultVCpus'] >= 1 for t in all_types)
    seen, token = [], None
    while True:
        kw = {'MaxResults': 5, **({'NextToken': token} if token else {})}
        page = c.describe_instance_types(**kw)
        seen += [t['InstanceType'] for t in page['InstanceTypes']]
        token = page.get('NextToken')
        if not token:
            break
    assert sorted(seen) == sorted(t['InstanceType'] for t in all_types)
    assert len(seen) == len(set(seen))
    name = all_types[0]['InstanceType']
    assert [t['InstanceType'] for t in c.describe_instance_types(
        InstanceTypes=[name])['InstanceTypes']] == [name]
    assert code_of(c.describe_instance_types, InstanceTypes=['x9.nope']) == \
        ('InvalidParameterValue', 400)
    access, secret = ec2.cred['alice']
    r = v2_request(ec2.url, access, secret, {'Action': 'DescribeInstanceTypes',
                                             'MaxResults': '2'})
    assert r.status_code == 400 and '<Code>InvalidParameterValue</Code>' in r.text
    assert code_of(c.describe_instance_types, MaxResults=5, NextToken='!!') == \
        ('InvalidNextToken', 400)


def test_account_attributes(ec2):
    attrs = {a['AttributeName']: [v['AttributeValue'] for v in a['AttributeValues']]
             for a in ec2.client('alice').describe_account_attributes()['AccountAttributes']}
    assert attrs['supported-platforms'] == ['VPC'] and attrs['max-instances'][0].isdigit()


def test_tags_on_key_pairs(ec2):
    c = ec2.client('alice')
    kp = c.create_key_pair(KeyName='tagged', TagSpecifications=[
        {'ResourceType': 'key-pair', 'Tags': [{'Key': 'env', 'Value': 'dev'}]}])
    kid = kp['KeyPairId']
    assert kp['Tags'] == [{'Key': 'env', 'Value': 'dev'}]
    c.create_tags(Resources=[kid], Tags=[{'Key': 'team', 'Value': 'a'}])
    tags = c.describe_tags()['Tags']
    assert sorted((t['Key'], t['Value'], t['ResourceType']) for t in tags) == \
        [('env', 'dev', 'key-pair'), ('team', 'a', 'key-pair')]
    assert [k['KeyName'] for k in c.describe_key_pairs(
        Filters=[{'Name': 'tag:team', 'Values': ['a']}])['KeyPairs']] == ['tagged']
    assert c.describe_key_pairs(Filters=[{'Name': 'tag:team', 'Values': ['b']}])[
        'KeyPairs'] == []
    assert code_of(c.create_tags, Resources=[kid], Tags=[{'Key': 'aws:x', 'Value': '1'}]) \
        == ('InvalidParameterValue', 400)
    assert code_of(c.create_tags, Resources=[kid], Tags=[
        {'Key': f'k{i}', 'Value': '1'} for i in range(50)]) == ('TagLimitExceeded', 400)
    assert code_of(c.create_tags, Resources=['zz-123'], Tags=[{'Key': 'a', 'Value': '1'}]) \
        == ('InvalidID', 400)
    # another project: not found, and none of alice's tags listed
    b = ec2.client('bob')
    assert code_of(b.create_tags, Resources=[kid], Tags=[{'Key': 'x', 'Value': 'y'}]) == \
        ('InvalidKeyPair.NotFound', 400)
    assert code_of(b.delete_tags, Resources=[kid]) == ('InvalidKeyPair.NotFound', 400)
    assert b.describe_tags()['Tags'] == []
    assert code_of(ec2.client('reader').create_tags, Resources=[kid],
                   Tags=[{'Key': 'x', 'Value': 'y'}]) == ('UnauthorizedOperation', 403)
    c.delete_tags(Resources=[kid], Tags=[{'Key': 'env', 'Value': 'other'}])
    assert len(c.describe_tags()['Tags']) == 2
    c.delete_tags(Resources=[kid], Tags=[{'Key': 'env'}])
    assert [t['Key'] for t in c.describe_tags()['Tags']] == ['team']
    c.delete_key_pair(KeyName='tagged')
    assert c.describe_tags()['Tags'] == []
