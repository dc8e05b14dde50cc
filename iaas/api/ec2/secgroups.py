"""CreateSecurityGroup, DescribeSecurityGroups, DeleteSecurityGroup,
Authorize/RevokeSecurityGroupIngress/Egress: the security groups of the
network API (Neutron's) of the caller's project, the same ones
``openstack security group list`` shows.

An EC2 permission (protocol, port range, sources) is a set of Neutron
rules, one per source (a CIDR, or a group for both IPv4 and IPv6). Rules
are compared as EC2 shows them, so a Neutron rule without a remote is the
EC2 rule from ``0.0.0.0/0`` (or ``::/0``) and is found by revoking that.
"""
import ipaddress

from iaas.api.ec2 import common, errors, resources, tags
from iaas.api.ec2.actions import action
from iaas.api.network import policies as NP
from iaas.ec2 import ids
from iaas.network import api as netapi

SG = NP.SECURITY_GROUP
RULE = NP.SECURITY_GROUP_RULE
NOT_FOUND = 'InvalidGroup.NotFound'

# EC2 protocol (name or number) → Neutron's; None is every protocol
_PROTOCOL_IN = {'-1': None, 'all': None, 'tcp': 'tcp', '6': 'tcp', 'udp': 'udp',
                '17': 'udp', 'icmp': 'icmp', '1': 'icmp', 'icmpv6': 'ipv6-icmp',
                '58': 'ipv6-icmp'}
# Neutron's protocol → EC2's (others are shown as stored)
_PROTOCOL_OUT = {None: '-1', 'tcp': 'tcp', '6': 'tcp', 'udp': 'udp', '17': 'udp',
                 'icmp': 'icmp', '1': 'icmp', 'ipv6-icmp': 'icmpv6', 'icmpv6': 'icmpv6',
                 '58': 'icmpv6'}
_ANY = {'IPv4': '0.0.0.0/0', 'IPv6': '::/0'}
_PERMISSION_FILTERS = ('cidr', 'from-port', 'to-port', 'protocol', 'group-id',
                       'group-name', 'ipv6-cidr', 'user-id')
FILTERS = {'group-id', 'group-name', 'description', 'owner-id', 'tag:*', 'tag-key',
           'tag-value', *(f'ip-permission.{n}' for n in _PERMISSION_FILTERS),
           *(f'egress.ip-permission.{n}' for n in _PERMISSION_FILTERS)}


def _owned(ctx, uuids):
    return {g['id'] for g in netapi.sg_list(ctx.project_id)} & set(uuids)


resources.register('security_group', 'security-group', NOT_FOUND, _owned)


# -- finding groups ---------------------------------------------------------------
def _uuid_of(group_id):
    """UUID of an ``sg-`` id (the caller's or not: callers load it scoped)."""
    if not ids.well_formed('security_group', group_id):
        raise errors.EC2Error('InvalidGroupId.Malformed',
                              f'Invalid id: "{group_id[:64]}" (expecting "sg-...")')
    found = ids.to_uuid('security_group', [group_id]).get(group_id)
    if found is None:
        raise errors.not_found(NOT_FOUND, group_id)
    return found


def _by_id(ctx, group_id):
    try:
        return netapi.sg_get(_uuid_of(group_id), ctx.project_id)
    except netapi.NotFound:
        raise errors.not_found(NOT_FOUND, group_id) from None


def _by_name(ctx, name):
    try:
        return netapi.find_security_group(ctx.project_id, name)
    except netapi.NotFound:
        raise errors.not_found(NOT_FOUND, name) from None
    except netapi.Conflict:
        raise errors.invalid(f"Several security groups are named '{name[:64]}'; give its "
                             'GroupId.') from None


def _target(ctx, p):
    """The group ``GroupId`` or ``GroupName`` names."""
    group_id, name = p.str('GroupId', max_len=64), p.str('GroupName')
    if group_id:
        return _by_id(ctx, group_id)
    if name:
        return _by_name(ctx, name)
    raise errors.missing('GroupId')


# -- permissions: EC2 ↔ Neutron ---------------------------------------------------
def _shown_ports(kind, lo, hi):
    """(fromPort, toPort) as EC2 shows a Neutron range of protocol ``kind``."""
    if kind in ('tcp', 'udp'):
        return (0, 65535) if lo is None else (lo, hi if hi is not None else lo)
    if kind in ('icmp', 'icmpv6'):
        return (-1 if lo is None else lo, -1 if hi is None else hi)
    return None, None


def _atom(rule):
    """What an EC2 permission entry compares a Neutron rule by:
    (protocol, fromPort, toPort, 'cidr'|'group', CIDR or group uuid)."""
    proto = _PROTOCOL_OUT.get(rule['protocol'], rule['protocol'])
    lo, hi = _shown_ports(proto, rule['port_range_min'], rule['port_range_max'])
    if rule['remote_group_id']:
        return proto, lo, hi, 'group', rule['remote_group_id']
    return proto, lo, hi, 'cidr', rule['remote_ip_prefix'] or _ANY[rule['ethertype']]


def _protocol(raw):
    value = raw.lower()
    if value in _PROTOCOL_IN:
        return _PROTOCOL_IN[value]
    if value.isdigit() and int(value) <= 255:
        return str(int(value))
    raise errors.invalid(f"Invalid value '{raw[:32]}' for IP protocol. Unknown protocol.")


def _ports(proto, lo, hi):
    """Neutron's (port_range_min, port_range_max) of EC2's FromPort/ToPort."""
    if proto in ('tcp', 'udp'):
        if lo is None and hi is None or (lo, hi) == (0, 65535):
            return None, None
        if lo is None or hi is None:
            raise errors.missing('FromPort' if lo is None else 'ToPort')
        if not 1 <= lo <= hi <= 65535:
            raise errors.invalid(f'Invalid {proto.upper()} port range {lo}-{hi}: ports are '
                                 '0-65535 and FromPort may not exceed ToPort.')
        return lo, hi
    if proto in ('icmp', 'ipv6-icmp'):
        for v in (lo, hi):
            if v is not None and not -1 <= v <= 255:
                raise errors.invalid(f'Invalid ICMP type or code {v}: -1 (all) or 0-255.')
        kind = None if lo in (None, -1) else lo
        code = None if hi in (None, -1) else hi
        if kind is None and code is not None:
            raise errors.invalid('An ICMP code needs an ICMP type (FromPort).')
        return kind, code
    return None, None           # EC2: every port of any other protocol


def _cidr(raw, version, name):
    try:
        net = ipaddress.ip_network(raw, strict=False) if '/' in raw else None
    except ValueError:
        net = None
    if net is None or net.version != version:
        raise errors.invalid(f"Value ({raw[:64]}) for parameter {name} is invalid. "
                             'It must be a CIDR block.')
    return str(net)


def _pair_group(ctx, q):
    gid, name = q.str('GroupId', max_len=64), q.str('GroupName')
    user = q.str('UserId', max_len=64)
    if user and user != ctx.project_id:
        raise errors.not_found(NOT_FOUND, gid or name or user)
    if gid:
        return _by_id(ctx, gid)['id']
    if name:
        return _by_name(ctx, name)['id']
    raise errors.missing('UserIdGroupPairs.GroupId')


def _entries(proto, lo, hi, sources):
    """[(atom, Neutron rule arguments)] of one permission's sources."""
    shown_proto = _PROTOCOL_OUT.get(proto, proto)
    shown = _shown_ports(shown_proto, lo, hi)
    out = []
    for kind, value, desc in sources:
        base = {'protocol': proto, 'port_range_min': lo, 'port_range_max': hi,
                'description': desc or ''}
        atom = (shown_proto, *shown, kind, value)
        if kind == 'cidr':
            ether = 'IPv4' if ipaddress.ip_network(value).version == 4 else 'IPv6'
            out.append((atom, [dict(base, ethertype=ether, remote_ip_prefix=value)]))
        else:
            ethers = {'icmp': ['IPv4'], 'ipv6-icmp': ['IPv6']}.get(proto, ['IPv4', 'IPv6'])
            out.append((atom, [dict(base, ethertype=e, remote_group_id=value)
                               for e in ethers]))
    return out


def _permission(ctx, q):
    proto = _protocol(q.str('IpProtocol', required=True, max_len=16))
    lo, hi = _ports(proto, q.int('FromPort'), q.int('ToPort'))
    sources = [('cidr', _cidr(r.str('CidrIp', required=True, max_len=64), 4, 'CidrIp'),
                r.str('Description')) for r in q.structs('IpRanges')]
    sources += [('cidr', _cidr(r.str('CidrIpv6', required=True, max_len=64), 6,
                               'CidrIpv6'), r.str('Description'))
                for r in q.structs('Ipv6Ranges')]
    sources += [('group', _pair_group(ctx, g), g.str('Description'))
                for g in q.structs('Groups') + q.structs('UserIdGroupPairs')]
    if q.structs('PrefixListIds'):
        raise errors.EC2Error('InvalidParameterValue', 'Prefix lists are not supported.')
    if not sources:
        raise errors.missing('IpPermissions.N.IpRanges (or Ipv6Ranges, UserIdGroupPairs)')
    return _entries(proto, lo, hi, sources)


def _legacy(ctx, p):
    """The flat IpProtocol/FromPort/ToPort/CidrIp/SourceSecurityGroupName form."""
    proto = _protocol(p.str('IpProtocol', default='-1', max_len=16))
    lo, hi = _ports(proto, p.int('FromPort'), p.int('ToPort'))
    cidr, source = p.str('CidrIp', max_len=64), p.str('SourceSecurityGroupName')
    owner = p.str('SourceSecurityGroupOwnerId', max_len=64)
    if owner and owner != ctx.project_id:
        raise errors.not_found(NOT_FOUND, source or owner)
    if cidr and source:
        raise errors.combination('CidrIp and SourceSecurityGroupName cannot be combined.')
    if cidr:
        version = 6 if ':' in cidr else 4
        sources = [('cidr', _cidr(cidr, version, 'CidrIp'), None)]
    elif source:
        sources = [('group', _by_name(ctx, source)['id'], None)]
    else:
        raise errors.missing('IpPermissions')
    return _entries(proto, lo, hi, sources)


def _requested(ctx, p):
    perms = p.structs('IpPermissions')
    flat = [n for n in ('IpProtocol', 'FromPort', 'ToPort', 'CidrIp',
                        'SourceSecurityGroupName') if p.has(n)]
    if perms and flat:
        raise errors.combination('IpPermissions cannot be combined with ' + flat[0] + '.')
    if p.list('SecurityGroupRuleId', max_len=64):
        raise errors.invalid('SecurityGroupRuleId is not supported; give IpPermissions.')
    entries = [e for q in perms for e in _permission(ctx, q)] if perms else _legacy(ctx, p)
    return entries


def _describe_atom(atom, direction):
    proto, lo, hi, kind, value = atom
    where = f'peer: {value}' if kind == 'cidr' else \
        f"group: {ids.one('security_group', value)}"
    ports = f', from port: {lo}, to port: {hi}' if lo is not None else ''
    return f'"{where}, {proto.upper()}{ports}, ALLOW" ({direction})'


def _rule_view(ctx, rule, ec2ids):
    proto, lo, hi, kind, value = _atom(rule)
    out = {'groupId': ec2ids[rule['security_group_id']], 'groupOwnerId': ctx.project_id,
           'isEgress': rule['direction'] == 'egress', 'ipProtocol': proto,
           'fromPort': lo, 'toPort': hi, 'description': rule['description'] or None}
    if kind == 'group':
        out['referencedGroupInfo'] = {'groupId': ids.one('security_group', value),
                                      'userId': ctx.project_id}
    else:
        out['cidrIpv6' if ':' in value else 'cidrIpv4'] = value
    return out


def _rules_of(group, direction):
    return [r for r in group['security_group_rules'] if r['direction'] == direction]


def _authorize(ctx, p, direction):
    group = _target(ctx, p)
    if tags.specs(p, 'security-group-rule'):
        raise errors.invalid('Security group rules cannot be tagged here.')
    entries = _requested(ctx, p)
    have = {_atom(r) for r in _rules_of(group, direction)}
    seen = set()
    for atom, _args in entries:
        if atom in have or atom in seen:
            raise errors.EC2Error('InvalidPermission.Duplicate', 'the specified rule '
                                  f'{_describe_atom(atom, direction)} already exists')
        seen.add(atom)
    made = []
    try:
        for a in (a for _unused, args in entries for a in args):
            made.append(netapi.rule_create(ctx, group['id'], direction,
                                           project_id=ctx.project_id, **a))
    except netapi.NetworkError as exc:
        _revoke_rules(ctx, made)            # all of the request or nothing
        if isinstance(exc, netapi.Conflict):
            raise errors.EC2Error('InvalidPermission.Duplicate', str(exc)) from None
        if isinstance(exc, netapi.NotFound):
            raise errors.not_found(NOT_FOUND, ids.one('security_group',
                                                      group['id'])) from None
        raise errors.invalid(str(exc)) from None
    ec2ids = {group['id']: ids.one('security_group', group['id'])}
    return {'return': True, 'securityGroupRuleSet': [_rule_view(ctx, r, ec2ids)
                                                     for r in made]}


def _revoke(ctx, p, direction):
    group = _target(ctx, p)
    existing = _rules_of(group, direction)
    doomed = []
    for atom, _args in _requested(ctx, p):
        found = [r for r in existing if _atom(r) == atom]
        if not found:
            raise errors.EC2Error('InvalidPermission.NotFound', 'The specified rule '
                                  f'{_describe_atom(atom, direction)} does not exist in '
                                  'this security group.')
        doomed += [r for r in found if r not in doomed]
    _revoke_rules(ctx, doomed)
    return {'return': True}


def _revoke_rules(ctx, rules):
    for r in rules:
        try:
            netapi.rule_delete(ctx, r['id'], ctx.project_id)
        except netapi.NotFound:
            pass             # revoked concurrently: gone either way


# -- actions ----------------------------------------------------------------------
@action('CreateSecurityGroup', SG['create'], write=True)
def create_security_group(ctx, p):
    name = p.str('GroupName', required=True)
    desc = p.str('GroupDescription', max_len=255)
    if not desc:
        raise errors.missing('GroupDescription')
    if p.str('VpcId', max_len=64):
        raise errors.EC2Error('InvalidVpcID.NotFound', 'This cloud has no VPCs: create '
                              'the group without VpcId.')
    if not name.strip() or name.lower().startswith('sg-'):
        raise errors.invalid(f"Value ({name[:64]}) for parameter GroupName is invalid. "
                             "Group names may not be blank or start with 'sg-'.")
    if name == 'default':
        raise errors.EC2Error('InvalidGroup.Reserved', "The security group 'default' is "
                              'reserved')
    tag_specs = tags.specs(p, 'security-group')
    netapi.ensure_default_group(ctx.project_id)
    if netapi.sg_list(ctx.project_id, name=name):
        raise errors.EC2Error('InvalidGroup.Duplicate',
                              f"The security group '{name}' already exists")
    g = netapi.sg_create(ctx, name, ctx.project_id, desc)
    tags.apply(ctx, 'security_group', [g['id']], tag_specs)
    return {'groupId': ids.one('security_group', g['id']), 'tagSet': tags.view(tag_specs)}


def _permissions(rules, ec2ids, owner):
    """EC2's IpPermission list of Neutron rules (one direction)."""
    perms = {}
    for r in rules:
        proto, lo, hi, kind, value = _atom(r)
        perm = perms.setdefault((proto, lo, hi), {
            'ipProtocol': proto, 'fromPort': lo, 'toPort': hi, 'groups': [],
            'ipRanges': [], 'ipv6Ranges': [], 'prefixListIds': []})
        desc = r['description'] or None
        if kind == 'group':
            pair = {'userId': owner, 'groupId': ec2ids.get(value), 'description': desc}
            if not any(g['groupId'] == pair['groupId'] for g in perm['groups']):
                perm['groups'].append(pair)
        elif ':' in value:
            perm['ipv6Ranges'].append({'cidrIpv6': value, 'description': desc})
        else:
            perm['ipRanges'].append({'cidrIp': value, 'description': desc})
    return list(perms.values())


def _permission_fields(prefix, perms, names):
    def each(key):
        return [str(x[key]) for x in perms if x[key] is not None]
    return {f'{prefix}protocol': each('ipProtocol'), f'{prefix}from-port': each('fromPort'),
            f'{prefix}to-port': each('toPort'),
            f'{prefix}cidr': [r['cidrIp'] for x in perms for r in x['ipRanges']],
            f'{prefix}ipv6-cidr': [r['cidrIpv6'] for x in perms for r in x['ipv6Ranges']],
            f'{prefix}group-id': [g['groupId'] for x in perms for g in x['groups']],
            f'{prefix}group-name': [names.get(g['groupId'], '') for x in perms
                                    for g in x['groups']],
            f'{prefix}user-id': [g['userId'] for x in perms for g in x['groups']]}


@action('DescribeSecurityGroups', SG['get'], write=False)
def describe_security_groups(ctx, p):
    f = p.filters(FILTERS)
    wanted_ids, names = p.list('GroupId', max_len=64), p.list('GroupName')
    wanted = {_uuid_of(i): i for i in wanted_ids} if wanted_ids else {}
    netapi.ensure_default_group(ctx.project_id)
    groups = netapi.sg_list(ctx.project_id)
    referenced = {r['remote_group_id'] for g in groups for r in g['security_group_rules']
                  if r['remote_group_id']}
    ec2ids = ids.to_ec2('security_group', [g['id'] for g in groups] + list(referenced))
    by_ec2 = {ec2ids[g['id']]: g['name'] for g in groups}
    tag_sets = tags.tag_sets('security_group', [g['id'] for g in groups])
    missing = [i for u, i in wanted.items() if u not in {g['id'] for g in groups}]
    missing += [n for n in names if n not in by_ec2.values()]
    if missing:
        raise errors.not_found(NOT_FOUND, missing)
    out = []
    for g in groups:
        gid = ec2ids[g['id']]
        if (wanted and g['id'] not in wanted) or (names and g['name'] not in names):
            continue
        tagged = tag_sets.get(g['id'], {})
        item = {'ownerId': ctx.project_id, 'groupId': gid, 'groupName': g['name'],
                'groupDescription': g['description'],
                'ipPermissions': _permissions(_rules_of(g, 'ingress'), ec2ids,
                                              ctx.project_id),
                'ipPermissionsEgress': _permissions(_rules_of(g, 'egress'), ec2ids,
                                                    ctx.project_id),
                'tagSet': tags.view(tagged)}
        fields = {'group-id': gid, 'group-name': g['name'], 'description': g['description'],
                  'owner-id': ctx.project_id, **common.tag_fields(tagged),
                  **_permission_fields('ip-permission.', item['ipPermissions'], by_ec2),
                  **_permission_fields('egress.ip-permission.', item['ipPermissionsEgress'],
                                       by_ec2)}
        if common.matches(f, fields):
            out.append(item)
    shown, token = common.page(p, out, key=lambda g: g['groupId'])
    return {'securityGroupInfo': shown, 'nextToken': token}


@action('DeleteSecurityGroup', SG['delete'], write=True)
def delete_security_group(ctx, p):
    g = _target(ctx, p)
    gid = ids.one('security_group', g['id'])
    users = [o['name'] for o in netapi.sg_list(ctx.project_id) if o['id'] != g['id'] and
             any(r['remote_group_id'] == g['id'] for r in o['security_group_rules'])]
    if users:
        raise errors.EC2Error('DependencyViolation', f"resource {gid} has a dependent "
                              f"object: the rules of group '{users[0]}' name it")
    try:
        netapi.sg_delete(ctx, g['id'], ctx.project_id)
    except netapi.NotFound:
        raise errors.not_found(NOT_FOUND, gid) from None
    except netapi.Conflict as exc:
        if exc.type == 'SecurityGroupCannotRemoveDefault':
            raise errors.EC2Error('CannotDelete', 'the specified group: "default" name: '
                                  '"default" cannot be deleted by a user') from None
        raise errors.EC2Error('InvalidGroup.InUse', f'There are active instances using '
                              f"security group '{gid}'") from None
    tags.forget('security_group', [g['id']])
    return {'return': True, 'groupId': gid}


@action('AuthorizeSecurityGroupIngress', RULE['create'], write=True)
def authorize_security_group_ingress(ctx, p):
    return _authorize(ctx, p, 'ingress')


@action('AuthorizeSecurityGroupEgress', RULE['create'], write=True)
def authorize_security_group_egress(ctx, p):
    return _authorize(ctx, p, 'egress')


@action('RevokeSecurityGroupIngress', RULE['delete'], write=True)
def revoke_security_group_ingress(ctx, p):
    return _revoke(ctx, p, 'ingress')


@action('RevokeSecurityGroupEgress', RULE['delete'], write=True)
def revoke_security_group_egress(ctx, p):
    return _revoke(ctx, p, 'egress')
