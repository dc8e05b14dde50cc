"""Security groups and their rules on the network page: create and delete
a group (not 'default'), add a rule (checked here first: direction,
protocol, ports, remote CIDR or remote group (one of the project's); a bad value is the page again with 400 and
a message), delete a rule. Ids go through :func:`network.fetch` (the
project's, else 404)."""
import ipaddress

from iaas.dashboard import network, render

DIRECTIONS = ('ingress', 'egress')
PROTOCOLS = ('tcp', 'udp', 'icmp', 'any')
RULE_FIELDS = ('direction', 'protocol', 'port_range_min', 'port_range_max',
               'remote_ip_prefix', 'remote_group_id')


def group_create(req):
    c = network.net_cloud(req)
    values = {'group_name': render.form(req, 'name').strip(),
              'group_description': render.form(req, 'description').strip()}
    if not values['group_name']:
        return network.refuse(req, 'Give the security group a name.', values)
    if values['group_name'] == 'default':
        return network.refuse(req, 'The project already has its default group.', values)
    with render.flash_errors(req) as state:
        c.network.post('/security-groups', json={'security_group': {
            'name': values['group_name'], 'description': values['group_description']}})
    if not state['ok']:
        return network.index(req, 400, values)
    return render.redirect(req, '/network',
                           f'Security group {values["group_name"]} created.')


def _group(req, c, security_group_id):
    return network.fetch(req, c, 'security-groups', 'security_group', security_group_id)


def group_delete(req, security_group_id):
    c = network.net_cloud(req)
    g = _group(req, c, security_group_id)
    if g.get('name') == 'default':
        return render.redirect(req, '/network', 'The default group cannot be deleted.',
                               'error')
    with render.flash_errors(req) as state:
        c.network.delete(f'/security-groups/{network.qid(g["id"])}')
    if state['ok']:
        render.sess(req).flash(f'Security group {g.get("name") or g["id"]} deleted.')
    return render.redirect(req, '/network')


def _number(text, lo, hi, what):
    try:
        n = int(text.strip())
    except ValueError:
        raise ValueError(f'The {what} must be a number from {lo} to {hi}.') from None
    if not lo <= n <= hi:
        raise ValueError(f'The {what} must be a number from {lo} to {hi}.')
    return n


def rule_body(values):
    """The API's security_group_rule from the form; ValueError with a
    message for people when a value is wrong."""
    direction, proto = values['direction'], values['protocol']
    if direction not in DIRECTIONS:
        raise ValueError('The direction is ingress or egress.')
    if proto not in PROTOCOLS:
        raise ValueError('The protocol is tcp, udp, icmp or any.')
    lo, hi = values['port_range_min'].strip(), values['port_range_max'].strip()
    body = {'direction': direction, 'ethertype': 'IPv4'}
    if proto == 'any':
        if lo or hi:
            raise ValueError('A rule for any protocol has no ports.')
    else:
        body['protocol'] = proto
    if proto in ('tcp', 'udp') and (lo or hi):
        pmin = _number(lo or hi, 1, 65535, 'lowest port')
        pmax = _number(hi or lo, 1, 65535, 'highest port')
        if pmin > pmax:
            raise ValueError('The lowest port is above the highest port.')
        body.update(port_range_min=pmin, port_range_max=pmax)
    elif proto == 'icmp' and (lo or hi):
        if not lo:
            raise ValueError('An ICMP code needs an ICMP type.')
        body['port_range_min'] = _number(lo, 0, 255, 'ICMP type')
        if hi:
            body['port_range_max'] = _number(hi, 0, 255, 'ICMP code')
    remote = values['remote_ip_prefix'].strip()
    if remote and values.get('remote_group_id'):
        raise ValueError('A rule has a remote CIDR or a remote group, not both.')
    if values.get('remote_group_id'):
        body['remote_group_id'] = values['remote_group_id']
    elif remote:
        try:
            cidr = ipaddress.ip_network(remote, strict=False)
        except ValueError:
            raise ValueError('The remote is a CIDR such as 0.0.0.0/0 or 192.0.2.0/24.'
                             ) from None
        body['remote_ip_prefix'] = str(cidr)
        body['ethertype'] = f'IPv{cidr.version}'
        if cidr.version == 6 and proto == 'icmp':
            body['protocol'] = 'ipv6-icmp'
    return body


def rule_create(req, security_group_id):
    c = network.net_cloud(req)
    g = _group(req, c, security_group_id)
    values = {k: render.form(req, k, maximum=64) for k in RULE_FIELDS}
    values['rule_group'] = g['id']
    if values['remote_group_id']:      # one of the project's groups, else 404
        values['remote_group_id'] = _group(req, c, values['remote_group_id'])['id']
    try:
        body = rule_body(values)
    except ValueError as exc:
        return network.refuse(req, str(exc), values)
    body['security_group_id'] = g['id']
    with render.flash_errors(req) as state:
        c.network.post('/security-group-rules', json={'security_group_rule': body})
    if not state['ok']:
        return network.index(req, 400, values)
    return render.redirect(req, '/network', f'Rule added to {g.get("name") or g["id"]}.')


def rule_delete(req, rule_id):
    c = network.net_cloud(req)
    r = network.fetch(req, c, 'security-group-rules', 'security_group_rule', rule_id)
    with render.flash_errors(req) as state:
        c.network.delete(f'/security-group-rules/{network.qid(r["id"])}')
    if state['ok']:
        render.sess(req).flash('Rule deleted.')
    return render.redirect(req, '/network')


def add_routes(router):
    router.add('POST', '/network/security-groups', group_create)
    router.add('POST', '/network/security-groups/{security_group_id}/delete', group_delete)
    router.add('POST', '/network/security-groups/{security_group_id}/rules', rule_create)
    router.add('POST', '/network/security-group-rules/{rule_id}/delete', rule_delete)
