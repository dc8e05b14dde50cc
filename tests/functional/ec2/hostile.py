"""Hostile EC2 requests, shared by the in-process fuzzing of every action
(tests/functional/ec2/test_fuzz.py) and the fuzz run against a real
iaas-all (tests/fuzz/test_ec2.py): each parameter of an action's valid
request (test_action_matrix.PARAMS, naming the victim's resources)
replaced by hostile values, and random extra parameters; every answer an
EC2 success or error below 500 in EC2's format."""
from iaas.api.ec2 import actions
from iaas.api.ec2 import app as ec2_app  # noqa: F401  (loads every topic module)

HOSTILE = ['', ' ', 'x' * 70000, '\ufffd', '-1', '0', '18446744073709551616',
           '-9223372036854775809', '1e308', 'NaN', 'true', '*', '?' * 300, '../../etc/passwd',
           "'; DROP TABLE instances; --", 'i-' + 'f' * 17, 'ami-0', '\x00', '%ff',
           '\u202e\u0000', '🙂' * 100]
EXTRA = ['Filter.1.Name', 'Filter.1.Value.1', 'MaxResults', 'NextToken', 'DryRun',
         'InstanceId.1', 'TagSpecification.1.ResourceType', 'TagSpecification.1.Tag.1.Key',
         'BlockDeviceMapping.1.DeviceName', 'BlockDeviceMapping.1.Ebs.VolumeSize',
         'Placement.AvailabilityZone', 'UserData', 'IpPermissions.1.IpProtocol',
         'IpPermissions.1.FromPort', 'IpPermissions.1.IpRanges.1.CidrIp']


def check(r, where):
    """An answer below 500 (501: an EC2 action this cloud does not
    implement), an error in EC2's envelope, no traceback."""
    assert r.status_code < 500 or r.status_code == 501, (where, r.status_code, r.text[:500])
    if r.status_code >= 400:
        assert r.text.startswith('<?xml') and '<Errors><Error><Code>' in r.text, \
            (where, r.text[:300])
    assert 'Traceback' not in r.text, where


def hostile_values(params, victim, rnd=None, per_parameter=None):
    """(action, request parameters, where) for every action: its valid
    request with one parameter replaced by each hostile value (with ``rnd``,
    ``per_parameter`` of them drawn at random)."""
    for name in sorted(actions.ACTIONS):
        valid = params[name](victim)
        for key in valid:
            values = HOSTILE if rnd is None else rnd.sample(HOSTILE, per_parameter)
            for value in values:
                yield name, dict(valid, **{key: value}), (name, key, value[:20])


def extra_parameters(params, victim, rnd, rounds=12):
    """(action, request parameters, where) for every action: its valid
    request with three random extra parameters of hostile values, ``rounds``
    times."""
    for name in sorted(actions.ACTIONS):
        valid = params[name](victim)
        for _ in range(rounds):
            request = dict(valid)
            for key in rnd.sample(EXTRA, 3):
                request[key] = rnd.choice(HOSTILE + ['1', '5', 'tag:Name', 'running'])
            yield name, request, (name, request)
