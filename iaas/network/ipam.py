"""IP address management of the network service: what a subnet, a port's
fixed IPs and allowed address pairs may be, and which address a port or
floating IP gets.

Pure decisions, no queries: the queries (:mod:`iaas.db.networks`) load the
rows and hand them here inside their transaction, then insert what was
chosen. Addresses stay unique through the database's (network, address)
constraints: a candidate chosen here that a concurrent allocation took
first makes the insert fail and the query retries with a fresh choice.
Errors are :mod:`iaas.exception`'s network errors (Neutron's types).
"""
import ipaddress
import random

from iaas.conf import CONF
from iaas.exception import Conflict, Invalid

# How many free addresses of a pool one choice looks at (then picks one at
# random among them, so that concurrent allocations rarely collide).
CANDIDATES = 16


def release_grace():
    """Seconds a released fixed IP stays out of use (``[network]
    fixed_ip_release_grace``)."""
    return CONF.network.fixed_ip_release_grace


def parse_cidr(cidr, strict=False):
    """The network of ``cidr``; with ``strict`` a prefix with host bits set
    (``2001:db8::/8``) is refused, never silently turned into another one."""
    try:
        net = ipaddress.ip_network(cidr, strict=False)
    except (TypeError, ValueError):
        raise Invalid(f"Invalid input for cidr. Reason: '{cidr}' is not a valid IP "
                      'subnet.', 'InvalidInput') from None
    try:
        if strict:
            ipaddress.ip_network(cidr, strict=True)
    except ValueError:
        raise Invalid(f"Invalid input for cidr. Reason: '{cidr}' has host bits set "
                      f"(the network is '{net}').", 'InvalidInput') from None
    return net


def ip_address(value, what):
    try:
        return ipaddress.ip_address(value)
    except (TypeError, ValueError):
        raise Invalid(f"Invalid input for {what}. Reason: '{value}' is not a valid IP "
                      'address.', 'InvalidInput') from None


# -- subnets --------------------------------------------------------------------
def check_dns(servers):
    """Name servers are IP addresses (nothing else reaches dnsmasq), at most
    ``[network] max_dns_nameservers``, no duplicates."""
    servers = list(servers or ())
    cap = CONF.network.max_dns_nameservers
    if len(servers) > cap:
        raise Invalid(f'Number of DNS nameservers exceeds the limit {cap} for subnet.',
                      'DNSNameServersExhausted')
    out = [str(ip_address(x, 'dns_nameservers')) for x in servers]
    if len(set(out)) != len(out):
        raise Invalid('Duplicate nameserver in dns_nameservers.', 'InvalidInput')
    return out


def check_routes(routes, version):
    """Host routes: ``destination`` a CIDR (no host bits), ``nexthop`` an IP
    address, both of the subnet's IP version; at most ``[network]
    max_subnet_host_routes``."""
    routes = list(routes or ())
    cap = CONF.network.max_subnet_host_routes
    if len(routes) > cap:
        raise Invalid(f'Unable to complete operation for subnet. The number of host routes '
                      f'exceeds the limit {cap}.', 'HostRoutesExhausted')
    out = []
    for r in routes:
        if not isinstance(r, dict) or set(r) != {'destination', 'nexthop'}:
            raise Invalid('Invalid input for host_routes: each needs exactly destination '
                          'and nexthop.', 'InvalidInput')
        dest = parse_cidr(r['destination'], strict=True)
        hop = ip_address(r['nexthop'], 'host_routes')
        if dest.version != version or hop.version != version:
            raise Invalid('Invalid input for host_routes: IP version mismatch with the '
                          'subnet.', 'InvalidInput')
        route = {'destination': str(dest), 'nexthop': str(hop)}
        if route in out:
            raise Invalid('Duplicate hostroute in host_routes.', 'InvalidInput')
        out.append(route)
    return out


def check_gateway(gateway_ip, net, cidr):
    if gateway_ip is None:
        return None
    gw = ip_address(gateway_ip, 'gateway_ip')
    if gw not in net:
        raise Invalid(f'Gateway {gateway_ip} is not in subnet {cidr}.', 'InvalidInput')
    return str(gw)


def check_pools(pools, net, cidr):
    out = []
    for p in pools or ():
        try:
            a, b = ipaddress.ip_address(p['start']), ipaddress.ip_address(p['end'])
        except (KeyError, ValueError, TypeError):
            raise Invalid('Invalid allocation pool.', 'InvalidInput') from None
        if a not in net or b not in net or a > b:
            raise Invalid(f'The allocation pool {p["start"]}-{p["end"]} spans beyond the '
                          f'subnet cidr {cidr}.', 'InvalidInput')
        out.append({'start': str(a), 'end': str(b)})
    return out


def new_subnet(cidr, ip_version=None, gateway_ip='auto', allocation_pools=None,
               dns_nameservers=(), host_routes=()):
    """(network, checked values) of a subnet to create: ``gateway_ip`` 'auto'
    = the first host address, None = no gateway; pools default to every host
    address but the gateway."""
    net = parse_cidr(cidr, strict=True)
    if ip_version and int(ip_version) != net.version:
        raise Invalid('ip_version does not match the cidr.', 'InvalidInput')
    if net.num_addresses < 4:
        raise Invalid(f'Invalid CIDR {cidr}: too small.', 'InvalidInput')
    hosts_first, hosts_last = net[1], net[-2] if net.version == 4 else net[-1]
    if gateway_ip == 'auto':
        gateway_ip = str(hosts_first)
    gateway_ip = check_gateway(gateway_ip, net, cidr)
    values = {'gateway_ip': gateway_ip, 'dns_nameservers': check_dns(dns_nameservers),
              'host_routes': check_routes(host_routes, net.version),
              'allocation_pools': check_pools(allocation_pools, net, cidr)}
    if not values['allocation_pools']:
        first = hosts_first
        if gateway_ip is not None and ipaddress.ip_address(gateway_ip) == first:
            first = first + 1
        values['allocation_pools'] = [{'start': str(first), 'end': str(hosts_last)}]
    return net, values


def subnet_changes(cidr, values):
    """``values`` of a subnet update, each checked as at create."""
    net = parse_cidr(cidr)
    checks = {'gateway_ip': lambda v: check_gateway(v, net, cidr),
              'dns_nameservers': check_dns,
              'host_routes': lambda v: check_routes(v, net.version),
              'allocation_pools': lambda v: check_pools(v, net, cidr)}
    return {k: checks[k](v) if k in checks else v for k, v in values.items()}


def check_no_overlap(net, cidrs, network_uuid):
    """Invalid when ``net`` overlaps one of the network's subnets ``cidrs``."""
    for other in cidrs:
        if parse_cidr(other).overlaps(net):
            raise Invalid(f'Invalid input for operation: Requested subnet with cidr: '
                          f'{net} for network: {network_uuid} overlaps with another '
                          'subnet.', 'InvalidInput')


# -- ports ----------------------------------------------------------------------
def random_mac():
    return 'fa:16:3e:%02x:%02x:%02x' % tuple(random.randrange(256) for _ in range(3))


def check_fixed_ips_count(fixed_ips):
    """400 when a port asks for more than ``[network] max_fixed_ips_per_port``
    fixed IPs (before any other work: each costs queries under the write lock)."""
    cap = CONF.network.max_fixed_ips_per_port
    if fixed_ips is not None and len(fixed_ips) > cap:
        raise Invalid('Invalid input for operation: Exceeded maximum amount of fixed ips '
                      f'per port ({cap}).', 'InvalidInput')


def check_fixed_ip(subnet_cidrs, network_uuid, fixed_ip):
    """Invalid (400) unless ``fixed_ip`` is an IP address inside one of the
    network's subnets (``subnet_cidrs``)."""
    if fixed_ip is None:
        return
    addr = ip_address(fixed_ip, 'fixed_ip')
    if not any(addr in ipaddress.ip_network(c) for c in subnet_cidrs):
        raise Invalid(f'Fixed IP address {fixed_ip} is not in a subnet of network '
                      f'{network_uuid}.', 'InvalidIpForNetwork')


def address_pairs(pairs, mac):
    """Neutron's allowed address pairs: an address or CIDR each, the port's
    MAC unless one is given; no repeats."""
    out = []
    for x in pairs or ():
        try:
            net = ipaddress.ip_network(x['ip_address'], strict=False)
        except (KeyError, TypeError, ValueError):
            raise Invalid(f"Invalid input for operation: '{x.get('ip_address')}' is not a "
                          'valid IP address or CIDR.', 'InvalidInput') from None
        ip = str(net.network_address) if net.prefixlen == net.max_prefixlen else str(net)
        pair = {'ip_address': ip, 'mac_address': (x.get('mac_address') or mac).lower()}
        if pair in out:
            raise Invalid('Request contains duplicate address pair: mac_address '
                          f"{pair['mac_address']} ip_address {ip}.",
                          'DuplicateAddressPairInRequest')
        out.append(pair)
    return out


def pool_candidates(subnet, used, limit=CANDIDATES):
    """Up to ``limit`` free addresses of ``subnet``'s pools (a row with
    ``allocation_pools`` and ``gateway_ip``), in order, none in ``used``."""
    out = []
    for p in subnet.allocation_pools or ():
        a, b = ipaddress.ip_address(p['start']), ipaddress.ip_address(p['end'])
        ip = a
        while ip <= b:
            if str(ip) not in used and str(ip) != subnet.gateway_ip:
                out.append(str(ip))
                if len(out) >= limit:
                    return out
            ip += 1
    return out


def choose_address(subnets, wanted, is_used, used_addresses):
    """(subnet row, address) of one fixed IP: ``wanted`` = {subnet_id?,
    ip_address?}. An asked-for address must be in the (asked-for) subnet and
    free (``is_used(address)``); else a random one of the first free
    candidates of the first subnet with room (``used_addresses()``: the
    network's taken addresses)."""
    ip = wanted.get('ip_address')
    sub_uuid = wanted.get('subnet_id')
    cands = subnets
    if sub_uuid:
        cands = [x for x in subnets if x.uuid == sub_uuid]
        if not cands:
            raise Invalid(f'Subnet {sub_uuid} is not on the network.', 'InvalidInput')
    if ip:
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            raise Invalid(f'Invalid IP address {ip}.', 'InvalidInput') from None
        sn = next((x for x in cands if addr in ipaddress.ip_network(x.cidr)), None)
        if sn is None:
            raise Invalid(f'IP address {ip} is not a valid IP for the specified subnet.',
                          'InvalidIpForSubnet')
        if is_used(str(addr)):
            raise Conflict(f'Unable to complete operation for network. The IP address '
                           f'{ip} is in use.', 'IpAddressInUse')
        return sn, str(addr)
    used = used_addresses()
    for sn in cands:
        free = pool_candidates(sn, used)
        if free:
            return sn, random.choice(free)
    raise Conflict('No more IP addresses available on network.',
                   'IpAddressGenerationFailure')


def keep_fixed_ips(held, wanted, subnet_uuids):
    """Which of a port's ``held`` fixed IPs (rows with ``id``, ``address``,
    ``subnet_id``) a ``fixed_ips`` update keeps, and the entries that need a
    new address: (set of kept ids, [wanted entries]). An entry naming an
    address the port holds, or only a subnet it has an address on, keeps
    that address. ``subnet_uuids``: {subnet row id: uuid}."""
    keep, new = set(), []
    for w in wanted:
        match = None
        for f in held:
            if f.id in keep:
                continue
            if w.get('ip_address'):
                try:
                    same = ipaddress.ip_address(w['ip_address']) == \
                        ipaddress.ip_address(f.address)
                except ValueError:
                    raise Invalid(f'Invalid IP address {w["ip_address"]}.',
                                  'InvalidInput') from None
                if same and (not w.get('subnet_id') or subnet_uuids.get(f.subnet_id) ==
                             w['subnet_id']):
                    match = f
            elif w.get('subnet_id') and subnet_uuids.get(f.subnet_id) == w['subnet_id']:
                match = f
            if match is not None:
                break
        if match is not None:
            keep.add(match.id)
        else:
            new.append(w)
    return keep, new


def choose_floating_address(subnets, used, network_uuid, wanted=None):
    """The address of a new floating IP of external network ``network_uuid``
    (subnet rows ``subnets``; ``used``: its taken floating and fixed
    addresses): ``wanted`` if free and on the network, else a random one of
    the first free candidates."""
    if wanted:
        addr = str(ip_address(wanted, 'floating_ip_address'))
        if addr in used:
            raise Conflict(f'Unable to complete operation for network {network_uuid}. The '
                           f'IP address {addr} is in use.', 'IpAddressInUse')
        if not any(ipaddress.ip_address(addr) in ipaddress.ip_network(x.cidr)
                   for x in subnets):
            raise Invalid(f'IP address {addr} is not a valid IP for the external network.',
                          'InvalidIpForNetwork')
        return addr
    for sn in subnets:
        free = pool_candidates(sn, used)
        if free:
            return random.choice(free)
    raise Conflict(f'No more IP addresses available on network {network_uuid}.',
                   'IpAddressGenerationFailure')


def router_routes(routes, connected_cidrs):
    """A router's static routes checked: a destination CIDR and a nexthop on
    one of the router's interface subnets (``connected_cidrs``) each."""
    cidrs = [ipaddress.ip_network(c) for c in connected_cidrs]
    out = []
    for route in routes or ():
        try:
            dest = ipaddress.ip_network(route['destination'], strict=False)
            hop = ipaddress.ip_address(route['nexthop'])
        except (KeyError, TypeError, ValueError):
            raise Invalid('Invalid input for routes: each needs a destination CIDR and a '
                          'nexthop address.', 'InvalidInput') from None
        if not any(hop in c for c in cidrs):
            raise Invalid(f'Invalid format for routes: {route}, the nexthop is not '
                          'connected with router.', 'InvalidRoutes')
        out.append({'destination': str(dest), 'nexthop': str(hop)})
    return out
