"""DescribeRegions, DescribeAvailabilityZones, DescribeAccountAttributes,
DescribeInstanceTypes (flavors)."""
from iaas.api.ec2 import common, errors
from iaas.api.ec2.actions import action
from iaas.compute import api as compute_api
from iaas.compute import flavors, quotas
from iaas.compute import policies as P
from iaas.conf import CONF

COMPUTE = compute_api.API()


def _endpoint():
    return f'{CONF.api.public_host}:{CONF.api.ec2_port}'


@action('DescribeRegions', P.AZ_LIST, write=False)
def describe_regions(ctx, p):
    f = p.filters({'endpoint', 'region-name', 'opt-in-status'})
    names = p.list('RegionName')
    region = {'regionName': CONF.ec2.region, 'regionEndpoint': _endpoint(),
              'optInStatus': 'opt-in-not-required'}
    fields = {'endpoint': region['regionEndpoint'], 'region-name': region['regionName'],
              'opt-in-status': region['optInStatus']}
    shown = (not names or CONF.ec2.region in names) and common.matches(f, fields)
    if names and CONF.ec2.region not in names:
        raise errors.EC2Error('InvalidParameterValue', f'Invalid region: {names[0][:64]}')
    return {'regionInfo': [region] if shown else []}


@action('DescribeAvailabilityZones', P.AZ_LIST, write=False)
def describe_availability_zones(ctx, p):
    f = p.filters({'zone-name', 'state', 'region-name', 'zone-type', 'zone-id',
                   'group-name', 'opt-in-status'})
    names = p.list('ZoneName')
    out = []
    for zone in sorted(COMPUTE.availability_zones(ctx)):
        z = {'zoneName': zone, 'zoneState': 'available', 'regionName': CONF.ec2.region,
             'zoneId': zone, 'zoneType': 'availability-zone', 'groupName': CONF.ec2.region,
             'optInStatus': 'opt-in-not-required', 'messageSet': []}
        fields = {'zone-name': zone, 'state': 'available', 'region-name': CONF.ec2.region,
                  'zone-type': 'availability-zone', 'zone-id': zone,
                  'group-name': CONF.ec2.region, 'opt-in-status': 'opt-in-not-required'}
        if (not names or zone in names) and common.matches(f, fields):
            out.append(z)
    unknown = [n for n in names if n not in {z['zoneName'] for z in out}]
    if unknown and not f:
        raise errors.invalid(f"The zone '{unknown[0][:64]}' does not exist.")
    return {'availabilityZoneInfo': out}


@action('DescribeAccountAttributes', P.LIMITS, write=False)
def describe_account_attributes(ctx, p):
    limits = quotas.get_limits(ctx.project_id)
    values = {'supported-platforms': ['VPC'], 'default-vpc': ['none'],
              'max-instances': [str(limits.get('instances', -1))],
              'vpc-max-security-groups-per-interface': ['5'],
              'max-elastic-ips': [str(limits.get('floating_ips', -1))],
              'vpc-max-elastic-ips': [str(limits.get('floating_ips', -1))]}
    names = p.list('AttributeName') or list(values)
    bad = [n for n in names if n not in values]
    if bad:
        raise errors.invalid(f'Invalid attribute name: {bad[0][:64]}')
    return {'accountAttributeSet': [
        {'attributeName': n, 'attributeValueSet': [{'attributeValue': v} for v in values[n]]}
        for n in names]}


def instance_type(f):
    return {'instanceType': f['name'], 'currentGeneration': True,
            'freeTierEligible': False, 'supportedUsageClasses': ['on-demand'],
            'supportedRootDeviceTypes': ['ebs', 'instance-store'],
            'supportedVirtualizationTypes': ['hvm'], 'bareMetal': False, 'hypervisor': 'kvm',
            'processorInfo': {'supportedArchitectures': ['x86_64']},
            'vCpuInfo': {'defaultVCpus': f['vcpus']},
            'memoryInfo': {'sizeInMiB': f['memory_mb']},
            'instanceStorageSupported': bool(f['root_gb']),
            'instanceStorageInfo': {'totalSizeInGB': f['root_gb']} if f['root_gb'] else None,
            'ebsInfo': {'ebsOptimizedSupport': 'unsupported',
                        'encryptionSupport': 'unsupported'},
            'networkInfo': {'networkPerformance': 'Moderate', 'maximumNetworkInterfaces': 1},
            'placementGroupInfo': {'supportedStrategies': []},
            'hibernationSupported': False, 'burstablePerformanceSupported': False,
            'dedicatedHostsSupported': False, 'autoRecoverySupported': False}


@action('DescribeInstanceTypes', P.FLAVORS_INDEX, write=False)
def describe_instance_types(ctx, p):
    f = p.filters({'instance-type', 'vcpu-info.default-vcpus', 'memory-info.size-in-mib',
                   'instance-storage-info.total-size-in-gb', 'current-generation'})
    names = p.list('InstanceType')
    rows = flavors.list_(ctx.project_id, include_private=False)
    if names:
        known = {r['name'] for r in rows}
        bad = [n for n in names if n not in known]
        if bad:
            raise errors.invalid(f'The following supplied instance types do not exist: '
                                 f"[{', '.join(b[:64] for b in bad[:10])}]")
    picked = [r for r in rows if (not names or r['name'] in names) and common.matches(f, {
        'instance-type': r['name'], 'vcpu-info.default-vcpus': r['vcpus'],
        'memory-info.size-in-mib': r['memory_mb'],
        'instance-storage-info.total-size-in-gb': r['root_gb'], 'current-generation': True})]
    shown, token = common.page(p, picked, key=lambda r: r['name'])
    return {'instanceTypeSet': [instance_type(r) for r in shown], 'nextToken': token}
