"""AllocateAddress, DescribeAddresses, AssociateAddress, DisassociateAddress,
ReleaseAddress: Elastic IPs are the floating IPs of the network API
(Neutron's) of the caller's project, allocated on an external network.

An allocation (``eipalloc-``) is a floating IP; an association
(``eipassoc-``) is a floating IP on one fixed IP of one port, so it
changes when the address moves and an old association id is not found.
"""
import ipaddress
import uuid

from iaas.api.ec2 import common, errors, resources, tags
from iaas.api.ec2.actions import action
from iaas.api.network import policies as NP
from iaas.compute import api as compute_api
from iaas.conf import CONF
from iaas.ec2 import ids
from iaas.identity import policy
from iaas.network import api as netapi

FIP = NP.FLOATINGIP
NOT_FOUND = 'InvalidAllocationID.NotFound'
FILTERS = {'allocation-id', 'association-id', 'instance-id', 'public-ip', 'domain',
           'private-ip-address', 'network-interface-owner-id', 'public-ipv4-pool',
           'network-border-group', 'tag:*', 'tag-key', 'tag-value'}
# associations are named by (floating IP, port, fixed IP): the same triple, the same id
_ASSOCIATION_NS = uuid.UUID('2f1a4c0e-6b7d-4e8a-9c53-ec2a550c1a7e')

COMPUTE = compute_api.API()


def _owned(ctx, uuids):
    return {f['id'] for f in netapi.floatingip_list(ctx.project_id)} & set(uuids)


resources.register('address', 'elastic-ip', NOT_FOUND, _owned)


def _association_uuid(fip):
    if not fip['port_id']:
        return None
    return str(uuid.uuid5(_ASSOCIATION_NS, f"{fip['id']}/{fip['port_id']}/"
                                           f"{fip['fixed_ip_address']}"))


def _public_ip(raw, name='PublicIp'):
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        raise errors.invalid(f"Invalid value '{raw[:64]}' for {name}.") from None


# -- finding addresses ------------------------------------------------------------
def _by_allocation(ctx, allocation_id):
    found = ids.to_uuid('address', [allocation_id]).get(allocation_id)
    try:
        if found is None:
            raise netapi.NotFound('Floating IP', allocation_id)
        return netapi.floatingip_get(found, ctx.project_id)
    except netapi.NotFound:
        raise errors.not_found(NOT_FOUND, allocation_id) from None


def _by_address(ctx, address):
    found = netapi.floatingip_list(ctx.project_id, floating_ip_address=_public_ip(address))
    if not found:
        raise errors.not_found('InvalidAddress.NotFound', address)
    return found[0]


def _target(ctx, p):
    """The floating IP ``AllocationId`` or ``PublicIp`` names."""
    allocation_id, address = p.str('AllocationId', max_len=64), p.str('PublicIp', max_len=64)
    if allocation_id:
        return _by_allocation(ctx, allocation_id)
    if address:
        return _by_address(ctx, address)
    raise errors.missing('AllocationId')


def _pool(ctx, name):
    """The external network addresses come from: ``PublicIpv4Pool`` (its id or
    name), else the first the network API offers."""
    nets = netapi.network_list(ctx.project_id, external=True)
    if name:
        nets = [n for n in nets if name in (n['id'], n['name'])]
        if not nets:
            raise errors.invalid(f"The public IPv4 pool '{name[:64]}' does not exist.")
    if not nets:
        raise errors.EC2Error('Unsupported', 'This cloud has no pool of public addresses '
                              '(no external network).')
    return nets[0]


def _instance_port(ctx, instance_id):
    """The first port of the caller's instance ``instance_id`` (an ``i-`` id)."""
    if not ids.well_formed('instance', instance_id):
        raise errors.EC2Error('InvalidInstanceID.Malformed',
                              f'Invalid id: "{instance_id[:64]}" (expecting "i-...")')
    found = ids.to_uuid('instance', [instance_id]).get(instance_id)
    try:
        if found is None:
            raise compute_api.NotFound(instance_id)
        COMPUTE.get(ctx, found)
    except compute_api.NotFound:
        raise errors.not_found('InvalidInstanceID.NotFound', instance_id) from None
    ports = netapi.port_list(ctx.project_id, device_id=found)
    if not ports:
        raise errors.EC2Error('InvalidInstanceID', f"The instance '{instance_id}' has no "
                              'network interface to associate an address with.')
    return ports[0]


def _network_error(exc):
    if isinstance(exc, netapi.NotFound) and exc.type.startswith('ExternalGateway'):
        return errors.EC2Error('Gateway.NotAttached', str(exc))
    if isinstance(exc, netapi.Conflict):
        return errors.EC2Error('Resource.AlreadyAssociated', str(exc))
    return errors.invalid(str(exc))


def _associate(ctx, fip, port, fixed_ip):
    """Move ``fip`` to ``port``; an address the fixed IP already has is
    disassociated first, as EC2 replaces an instance's address."""
    try:
        return netapi.floatingip_update(ctx, fip['id'], ctx.project_id, port_id=port['id'],
                                        fixed_ip_address=fixed_ip)
    except netapi.Conflict:
        pass
    except netapi.NetworkError as exc:
        raise _network_error(exc) from None
    chosen = fixed_ip or next((ip['ip_address'] for ip in port['fixed_ips']
                               if ipaddress.ip_address(ip['ip_address']).version == 4), None)
    for other in netapi.floatingip_list(ctx.project_id, port_id=port['id']):
        if other['id'] != fip['id'] and other['fixed_ip_address'] == chosen:
            netapi.floatingip_update(ctx, other['id'], ctx.project_id, port_id=None)
    try:
        return netapi.floatingip_update(ctx, fip['id'], ctx.project_id, port_id=port['id'],
                                        fixed_ip_address=fixed_ip)
    except netapi.NetworkError as exc:
        raise _network_error(exc) from None


def _view(fip, instances, tagged, owner):
    assoc = _association_uuid(fip)
    return {'publicIp': fip['floating_ip_address'],
            'allocationId': ids.one('address', fip['id']), 'domain': 'vpc',
            'instanceId': instances.get(fip['port_id']),
            'associationId': ids.one('association', assoc),
            'networkInterfaceOwnerId': owner if assoc else None,
            'privateIpAddress': fip['fixed_ip_address'],
            'publicIpv4Pool': fip['floating_network_id'],
            'networkBorderGroup': CONF.ec2.region, 'tagSet': tags.view(tagged)}


# -- actions ----------------------------------------------------------------------
@action('AllocateAddress', FIP['create'], write=True)
def allocate_address(ctx, p):
    p.str('Domain', default='vpc', choices=('vpc', 'standard'))
    address = p.str('Address', max_len=64)
    if address is not None:
        address = _public_ip(address, 'Address')
        if not policy.check(ctx, NP.FLOATINGIP_ADDRESS, {'project_id': ctx.project_id}):
            raise errors.unauthorized('You are not authorized to allocate a given address.')
    border = p.str('NetworkBorderGroup', max_len=64)
    if border and border != CONF.ec2.region:
        raise errors.invalid(f"The network border group '{border[:64]}' is invalid.")
    tag_specs = tags.specs(p, 'elastic-ip')
    net = _pool(ctx, p.str('PublicIpv4Pool', max_len=255))
    try:
        fip = netapi.floatingip_create(ctx, net['id'], ctx.project_id,
                                       floating_ip_address=address)
    except netapi.Conflict as exc:
        if exc.type == 'IpAddressInUse':
            raise errors.EC2Error('InvalidAddress.InUse', str(exc)) from None
        raise errors.EC2Error('AddressLimitExceeded', 'The maximum number of addresses '
                              'has been reached: the public pool has no free address.'
                              ) from None
    except netapi.Invalid as exc:
        raise errors.invalid(str(exc)) from None
    tags.apply(ctx, 'address', [fip['id']], tag_specs)
    return {'publicIp': fip['floating_ip_address'],
            'allocationId': ids.one('address', fip['id']), 'domain': 'vpc',
            'publicIpv4Pool': net['id'], 'networkBorderGroup': CONF.ec2.region}


@action('DescribeAddresses', FIP['get'], write=False)
def describe_addresses(ctx, p):
    f = p.filters(FILTERS)
    wanted_ips = [_public_ip(a) for a in p.list('PublicIp', max_len=64)]
    wanted_ids = p.list('AllocationId', max_len=64)
    fips = netapi.floatingip_list(ctx.project_id)
    alloc = ids.to_ec2('address', [x['id'] for x in fips])
    missing = [i for i in wanted_ids if i not in alloc.values()]
    if missing:
        raise errors.not_found(NOT_FOUND, missing)
    missing = [a for a in wanted_ips if a not in {x['floating_ip_address'] for x in fips}]
    if missing:
        raise errors.not_found('InvalidAddress.NotFound', missing)
    # the instances behind the associated ports
    ports = {pt['id']: pt['device_id'] for pt in netapi.port_list(ctx.project_id)
             if pt['device_owner'].startswith('compute:') and pt['device_id']}
    servers = ids.to_ec2('instance', sorted(set(ports.values())))
    instances = {port: servers[dev] for port, dev in ports.items()}
    tag_sets = tags.tag_sets('address', [x['id'] for x in fips])
    out = []
    for fip in fips:
        tagged = tag_sets.get(fip['id'], {})
        item = _view(fip, instances, tagged, ctx.project_id)
        if (wanted_ids and item['allocationId'] not in wanted_ids) or \
                (wanted_ips and item['publicIp'] not in wanted_ips):
            continue
        fields = {'allocation-id': item['allocationId'], 'association-id': item['associationId'],
                  'instance-id': item['instanceId'], 'public-ip': item['publicIp'],
                  'domain': 'vpc', 'private-ip-address': item['privateIpAddress'],
                  'network-interface-owner-id': item['networkInterfaceOwnerId'],
                  'public-ipv4-pool': item['publicIpv4Pool'],
                  'network-border-group': item['networkBorderGroup'],
                  **common.tag_fields(tagged)}
        if common.matches(f, fields):
            out.append(item)
    return {'addressesSet': out}


@action('AssociateAddress', FIP['update'], write=True)
def associate_address(ctx, p):
    fip = _target(ctx, p)
    instance_id = p.str('InstanceId', max_len=64)
    p.str('NetworkInterfaceId', max_len=64)       # interfaces are not shown: ignored
    if not instance_id:
        raise errors.missing('InstanceId')
    private = p.str('PrivateIpAddress', max_len=64)
    private = _public_ip(private, 'PrivateIpAddress') if private else None
    port = _instance_port(ctx, instance_id)
    if fip['port_id'] and fip['port_id'] == port['id'] and \
            private in (None, fip['fixed_ip_address']):
        return {'associationId': ids.one('association', _association_uuid(fip))}
    if fip['port_id'] and not p.bool('AllowReassociation'):
        raise errors.EC2Error('Resource.AlreadyAssociated', f"The address "
                              f"'{fip['floating_ip_address']}' is already associated; "
                              'give AllowReassociation to move it.')
    moved = _associate(ctx, fip, port, private)
    return {'associationId': ids.one('association', _association_uuid(moved))}


@action('DisassociateAddress', FIP['update'], write=True)
def disassociate_address(ctx, p):
    association_id, address = p.str('AssociationId', max_len=64), p.str('PublicIp',
                                                                        max_len=64)
    if association_id:
        found = ids.to_uuid('association', [association_id]).get(association_id)
        fip = next((x for x in netapi.floatingip_list(ctx.project_id)
                    if found and _association_uuid(x) == found), None)
        if fip is None:
            raise errors.not_found('InvalidAssociationID.NotFound', association_id)
    elif address:
        fip = _by_address(ctx, address)
    else:
        raise errors.missing('AssociationId')
    if fip['port_id']:
        try:
            netapi.floatingip_update(ctx, fip['id'], ctx.project_id, port_id=None)
        except netapi.NotFound:
            raise errors.not_found('InvalidAssociationID.NotFound',
                                   association_id or address) from None
    return {'return': True}


@action('ReleaseAddress', FIP['delete'], write=True)
def release_address(ctx, p):
    fip = _target(ctx, p)
    if fip['port_id']:
        raise errors.EC2Error('InvalidIPAddress.InUse', f"Address "
                              f"'{fip['floating_ip_address']}' is in use: disassociate it "
                              'first.')
    try:
        netapi.floatingip_delete(ctx, fip['id'], ctx.project_id)
    except netapi.NotFound:
        raise errors.not_found(NOT_FOUND, ids.one('address', fip['id'])) from None
    tags.forget('address', [fip['id']])
    return {'return': True}
