"""The EC2 Query API port (:8773) of a real iaas-all under hostile input
(the HTTP framing cases are test_hostile_inputs.test_http_framing's):

* every EC2 action (from the action table) called by bob, a member of
  another project, with alice's resources named
  (tests/functional/ec2/test_action_matrix.PARAMS) and each parameter in
  turn replaced by hostile values, then with random extra parameters
  (tests/functional/ec2/hostile.py; a seeded sample of the values the
  in-process suite sends every one of, ``IAAS_FUZZ_SEED``);
* parameters and bodies that are not UTF-8, percent-escapes cut short,
  bodies of other content types, too many and too deep parameter names.

Every answer below 500 (501: an action this cloud does not implement) in
EC2's error envelope without a traceback, and alice's data the same
afterwards.
"""
import collections
import random

import boto3
import botocore.config
import pytest

from tests.functional.ec2.hostile import check, extra_parameters, hostile_values
from tests.functional.ec2.test_action_matrix import PARAMS
from tests.functional.ec2.test_protocol import v2_request
from tests.fuzz.conftest import SEED
from tests.fuzz.test_hostile_inputs import Problems, is_4xx

PER_PARAMETER = 8       # hostile values per parameter of each action
EXTRA_ROUNDS = 6        # requests with random extra parameters per action


def _credential(fc, tenant):
    r = fc.call('identity', 'POST', f'/v3/users/{tenant.user_id}/credentials/OS-EC2',
                tenant.token, 201, json={'tenant_id': tenant.project_id})
    return r.json()['credential']['access'], r.json()['credential']['secret']


@pytest.fixture(scope='module')
def ec2(fuzz_cloud):
    """{tenant name: (access, secret)} of alice and bob, and alice's
    resources by their EC2 ids (what PARAMS names)."""
    fc = fuzz_cloud
    creds = {t.name: _credential(fc, t) for t in (fc.alice, fc.bob)}
    access, secret = creds[fc.alice.name]
    c = boto3.client('ec2', endpoint_url=fc.urls['ec2'], region_name='RegionOne',
                     aws_access_key_id=access, aws_secret_access_key=secret,
                     config=botocore.config.Config(retries={'max_attempts': 1}))
    res = fc.alice.resources
    key = c.describe_key_pairs(KeyNames=[res['keypair']])['KeyPairs'][0]
    victim = {
        'instance': c.describe_instances(Filters=[{
            'Name': 'key-name', 'Values': [res['keypair']]}])['Reservations'][0][
            'Instances'][0]['InstanceId'],
        'ami': c.describe_images(Owners=['self'], Filters=[{
            'Name': 'name', 'Values': [f'{fc.alice.name}-image']}])['Images'][0]['ImageId'],
        'key_name': key['KeyName'], 'key_id': key['KeyPairId'],
        'client_token': 'victim-token',
        'public_key_b64': 'c3NoLWVkMjU1MTkgQUFBQUMzTnphQzFsWkRJMU5URTVBQUFBSUVqdlZDNk5D'
                          'dnZGejB2dDNRSFFLNFNNUkNxL09iVUJkMmNFRE1Cd1ZiQTUgdg==',
        'sg': c.describe_security_groups(Filters=[{
            'Name': 'group-name', 'Values': [f'{fc.alice.name}-sg']}])[
            'SecurityGroups'][0]['GroupId'],
        'volume': c.describe_volumes()['Volumes'][0]['VolumeId'],
        'snapshot': c.describe_snapshots(OwnerIds=['self'])['Snapshots'][0]['SnapshotId'],
        # alice has no elastic IP here: an attacker's guesses
        'allocation': 'eipalloc-0123456789abcdef0', 'public_ip': '203.0.113.9',
    }
    return {'creds': creds, 'victim': victim, 'bob': creds[fc.bob.name]}


def _sweep(fc, ec2, cases, what):
    before = fc.snapshot(fc.alice)
    statuses = collections.Counter()
    for name, params, where in cases:
        r = v2_request(fc.urls['ec2'], *ec2['bob'], dict(params, Action=name))
        check(r, where)
        statuses[r.status_code] += 1
    print(f'\nfuzz ec2: {sum(statuses.values())} requests with {what}, seed {SEED}: '
          f'statuses {dict(sorted(statuses.items()))}')
    changed = fc.unchanged(fc.alice, before)
    assert not changed, f'bob\'s EC2 requests changed data of alice: {changed}'


def test_hostile_values_in_every_action(fuzz_cloud, ec2):
    _sweep(fuzz_cloud, ec2, hostile_values(PARAMS, ec2['victim'], random.Random(SEED),
                                           PER_PARAMETER), 'hostile parameter values')


def test_random_extra_parameters_in_every_action(fuzz_cloud, ec2):
    _sweep(fuzz_cloud, ec2, extra_parameters(PARAMS, ec2['victim'], random.Random(SEED),
                                             EXTRA_ROUNDS), 'random extra parameters')


FORM = {'Content-Type': 'application/x-www-form-urlencoded'}
RAW = [
    ('GET', '/?Action=%ff', None, None),
    ('GET', '/?Action=DescribeRegions&Version=%C0%AF&X=%ED%A0%80', None, None),
    ('GET', '/?Action=DescribeRegions&%ff=%ff', None, None),
    ('GET', '/?Action=DescribeRegions&X=%', None, None),
    ('GET', '/?' + '&'.join(f'P{i}=v' for i in range(1500)), None, None),
    ('GET', '/?Action=DescribeRegions&' + '.'.join(['A'] * 40) + '=1', None, None),
    ('GET', '/?Action=DescribeRegions&Filter.99999999999999999999.Name=x', None, None),
    ('GET', '/?Action=DescribeRegions&Action=RunInstances', None, None),
    ('POST', '/', b'Action=\xff\xfe', FORM),
    ('POST', '/', b'Action=DescribeRegions&X=%ED%A0%80', FORM),
    ('POST', '/', b'{"Action": "DescribeRegions"}', {'Content-Type': 'application/json'}),
    ('POST', '/', b'Action=DescribeRegions', {'Content-Type': 'multipart/form-data; b=x'}),
    ('POST', '/', b'Action=DescribeRegions&UserData=' + b'A' * 200_000, FORM),
    ('POST', '/%ff', b'Action=DescribeRegions', FORM),
    ('PUT', '/', b'Action=DescribeRegions', FORM),
    ('DELETE', '/?Action=TerminateInstances', None, None),
]


def test_malformed_requests(fuzz_cloud):
    """Unsigned and malformed: refused (4xx) before any action runs."""
    fc = fuzz_cloud
    p = Problems()
    before = fc.snapshot(fc.alice)
    for method, path, data, headers in RAW:
        what = f'ec2 {method} {path[:80]} {(data or b"")[:40]!r}'
        r = fc.call('ec2', method, path, data=data, headers=headers)
        p.check(r, what, is_4xx)
        if not r.text.startswith('<?xml') or '<Code>' not in r.text:
            p.add(f'{what}: not in EC2\'s error envelope: {r.text[:200]}')
    changed = fc.unchanged(fc.alice, before)
    if changed:
        p.add(f'ec2: malformed requests changed data of alice: {changed}')
    p.assert_none()
