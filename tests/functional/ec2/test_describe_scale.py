"""DescribeInstances over 1,000 instances (rows made straight in the
database, as a fake-driver cloud would have them): every page of a
paginated and of a filtered listing together show each instance exactly
once, while instances come and go between pages."""
import datetime
import uuid

from iaas import states
from iaas.db import instances as db_instances
from iaas.db import quotas


def make(ec2, n, project, user, **over):
    quotas.set_limits(project, {'instances': -1, 'cores': -1, 'ram': -1})
    rows = []
    for i in range(n):
        rows.append(dict(
            uuid=str(uuid.uuid4()), project_id=project, user_id=user,
            display_name=f'bulk-{i}', vm_state=states.ACTIVE, task_state=None,
            power_state=states.RUNNING, vcpus=1, memory_mb=64, root_gb=0, ephemeral_gb=0,
            metadata_={}, system_metadata={}, flavor={'name': 'm1.tiny'},
            reservation_id=f'r-{i // 10:08x}', launch_index=i % 10,
            launched_at=datetime.datetime(2026, 1, 1), **over))
    return [r['uuid'] for r in db_instances.create_with_quota(project, rows)]


def pages(c, **kw):
    seen, token, n = [], None, 0
    while True:
        page = c.describe_instances(MaxResults=1000 if 'Filters' in kw else 137, **kw,
                                    **({'NextToken': token} if token else {}))
        seen += [i['InstanceId'] for x in page['Reservations'] for i in x['Instances']]
        n += 1
        token = page.get('NextToken')
        if not token:
            return seen, n


def test_thousand_instances_each_exactly_once(ec2):
    project, user = ec2.project_ids['alpha'], ec2.user_ids['alice']
    made = make(ec2, 1000, project, user)
    make(ec2, 20, ec2.project_ids['beta'], ec2.user_ids['bob'])    # not alice's
    c = ec2.client('alice')
    seen, n = pages(c)
    assert len(seen) == 1000 and len(set(seen)) == 1000 and n == 8
    # an instance made and one deleted between pages: the others still once each
    first = c.describe_instances(MaxResults=500)
    shown = [i['InstanceId'] for x in first['Reservations'] for i in x['Instances']]
    make(ec2, 1, project, user)
    db_instances.soft_delete(made[0])
    rest = c.describe_instances(MaxResults=1000, NextToken=first['NextToken'])
    later = [i['InstanceId'] for x in rest['Reservations'] for i in x['Instances']]
    assert not set(shown) & set(later)
    assert len(shown) + len(later) >= 1000
    filtered = c.describe_instances(Filters=[{'Name': 'reservation-id',
                                              'Values': ['r-0000000a', 'r-0000001?']}])
    got = [i['InstanceId'] for x in filtered['Reservations'] for i in x['Instances']]
    assert len(got) == len(set(got)) == 170          # r-0000000a, r-00000010…1f
