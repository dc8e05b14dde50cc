"""Hostile parameters on every EC2 action (enumerated from the action
table), by another project's member: each parameter of a valid request
naming the victim's resources (test_action_matrix.PARAMS) replaced by
hostile values, plus random extra parameters. Every answer is
an EC2 error or success below 500, in EC2's format, and the victim's
resources are the same afterwards."""
import random

from iaas.api.ec2 import actions
from tests.functional.ec2.test_action_matrix import PARAMS, call, snapshot

HOSTILE = ['', ' ', 'x' * 70000, '\ufffd', '-1', '0', '18446744073709551616', '-9223372036854775809', '1e308',
    'NaN', 'true', '*', '?' * 300, '../../etc/passwd', "'; DROP TABLE instances; --",
    'i-' + 'f' * 17, 'ami-0', '\x00', '%ff', '\u202e\u0000', '🙂' * 100]
EXTRA = ['Filter.1.Name', 'Filter.1.Value.1', 'MaxResults', 'NextToken', 'DryRun',
         'InstanceId.1', 'TagSpecification.1.ResourceType', 'TagSpecification.1.Tag.1.Key',
         'BlockDeviceMapping.1.DeviceName', 'BlockDeviceMapping.1.Ebs.VolumeSize',
         'Placement.AvailabilityZone', 'UserData', 'IpPermissions.1.IpProtocol',
         'IpPermissions.1.FromPort', 'IpPermissions.1.IpRanges.1.CidrIp']


def check(r, where):
    assert r.status_code < 500 or r.status_code == 501, (where, r.status_code, r.text[:500])
    if r.status_code >= 400:
        assert r.text.startswith('<?xml') and '<Errors><Error><Code>' in r.text, \
            (where, r.text[:300])
    assert 'Traceback' not in r.text, where


def test_hostile_values_in_every_parameter(ec2, victim):
    before = snapshot(ec2)
    for name in sorted(actions.ACTIONS):
        valid = PARAMS[name](victim)
        for key in valid:
            for value in HOSTILE:
                check(call(ec2, 'bob', name, dict(valid, **{key: value})),
                      (name, key, value[:20]))
    assert snapshot(ec2) == before


def test_random_extra_parameters(ec2, victim):
    before = snapshot(ec2)
    rnd = random.Random(1205)
    for name in sorted(actions.ACTIONS):
        valid = PARAMS[name](victim)
        for _ in range(12):
            params = dict(valid)
            for key in rnd.sample(EXTRA, 3):
                params[key] = rnd.choice(HOSTILE + ['1', '5', 'tag:Name', 'running'])
            check(call(ec2, 'bob', name, params), (name, params))
    assert snapshot(ec2) == before
