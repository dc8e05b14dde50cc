"""The metadata server behind 169.254.169.254.

iaas-network redirects each network's 169.254.169.254:80 to its metadata
proxy (a socket per bridge), which forwards here with the guest's address
in X-Forwarded-For and the network in X-Neutron-Network-ID (signed with
``[metadata] proxy_shared_secret``); both count only from ``[metadata]
trusted_proxies``, else the TCP peer is the guest. The instance is the one
holding that fixed IP on that network, served in two layouts:

* OpenStack: ``/openstack/{latest,2012-08-10,…}/meta_data.json``,
  ``user_data``, ``vendor_data.json``, ``network_data.json``;
* EC2: ``/latest/meta-data/…`` (and dated versions), ``/latest/user-data``.
"""
import base64
import binascii
import json

import webob

from iaas import wsgi
from iaas.conf import CONF
from iaas.ec2 import ids as ec2_ids
from iaas.network import api as netapi
from iaas.network import metadata_proxy

OPENSTACK_VERSIONS = ['2012-08-10', '2013-04-04', '2013-10-17', '2015-10-15', '2016-06-30',
                      '2016-10-06', '2017-02-22', '2018-08-27', 'latest']
EC2_VERSIONS = ['1.0', '2007-01-19', '2007-03-01', '2007-08-29', '2007-10-10', '2007-12-15',
                '2008-02-01', '2008-09-01', '2009-04-04', 'latest']


def _text(body, status=200, content_type='text/plain'):
    if isinstance(body, str):
        body = body.encode()
    return webob.Response(body=body, status=status, content_type=content_type,
                          charset=None if content_type == 'application/octet-stream'
                          else 'utf-8')


def _not_found():
    return _text('404 Not Found\n\nThe resource could not be found.\n', 404, 'text/plain')


def _client(req):
    """(guest address, network id or None) of a request. The network comes
    from iaas-network's metadata proxy (``X-Neutron-Network-ID``), believed
    only from a trusted proxy and, with ``[metadata] proxy_shared_secret``
    set, only with a valid signature (403 otherwise)."""
    address = _client_address(req)
    network_id = req.headers.get(metadata_proxy.NETWORK_HEADER)
    if not network_id or req.remote_addr not in CONF.metadata.trusted_proxies:
        return address, None
    secret = CONF.metadata.proxy_shared_secret
    if secret and not metadata_proxy.verify(
            secret, network_id, address, req.headers.get(metadata_proxy.SIGNATURE_HEADER)):
        raise wsgi.Forbidden('Invalid metadata proxy signature')
    return address, network_id


def _client_address(req):
    """The guest's address: the TCP peer, or — only when the peer is one of
    ``[metadata] trusted_proxies`` — the right-most X-Forwarded-For entry
    (the one that proxy appended; entries left of it are the client's own
    claims and count for nothing)."""
    remote = req.remote_addr
    fwd = req.headers.get('X-Forwarded-For')
    if fwd and remote in CONF.metadata.trusted_proxies:
        return fwd.split(',')[-1].strip()
    return remote


def _user_data(inst):
    raw = inst.get('user_data')
    if not raw:
        return None
    try:
        return base64.b64decode(raw, validate=False)
    except (binascii.Error, ValueError):
        return raw.encode()


def _meta_data(inst):
    keys = []
    if inst.get('key_data'):
        keys.append({'name': inst.get('key_name') or 'key', 'type': 'ssh',
                     'data': inst['key_data']})
    return {'uuid': inst['uuid'], 'name': inst.get('display_name') or '',
            'hostname': inst.get('hostname') or '', 'launch_index': inst.get('launch_index', 0),
            'availability_zone': inst.get('availability_zone') or 'nova',
            'project_id': inst['project_id'], 'meta': inst.get('metadata') or {},
            'public_keys': {k['name']: k['data'] for k in keys}, 'keys': keys,
            'devices': [], 'random_seed': base64.b64encode(
                inst['uuid'].encode() * 8).decode()}


def _network_data(port):
    links, networks = [], []
    if port:
        links.append({'id': f'tap{port["id"][:11]}', 'type': 'bridge', 'vif_id': port['id'],
                      'ethernet_mac_address': port['mac_address'], 'mtu': None})
        for i, ip in enumerate(port['fixed_ips']):
            networks.append({'id': f'network{i}', 'type': 'ipv4_dhcp',
                             'link': links[0]['id'], 'network_id': port['network_id'],
                             'ip_address': ip['ip_address']})
    return {'links': links, 'networks': networks, 'services': []}


def _ec2_tree(inst, port):
    fixed = port['fixed_ips'][0]['ip_address'] if port and port['fixed_ips'] else ''
    floating = netapi.floating_for_port(port['id']) if port else []
    flavor = (inst.get('flavor') or {}).get('name', '')
    host = inst.get('hostname') or ''
    sysmeta = inst.get('system_metadata') or {}
    groups = netapi.security_groups_for_instances([inst['uuid']]).get(inst['uuid']) or []
    tree = {
        # the EC2 API's ids (made at create time; made now for older servers)
        'ami-id': ec2_ids.one('image', inst['image_ref']) if inst.get('image_ref') else '',
        'ami-launch-index': str(inst.get('launch_index', 0)),
        'ami-manifest-path': '(unknown)', 'hostname': host,
        'instance-action': 'none',
        'instance-id': sysmeta.get('ec2_id') or ec2_ids.one('instance', inst['uuid']),
        'instance-type': flavor, 'local-hostname': host, 'local-ipv4': fixed,
        'public-hostname': host, 'public-ipv4': floating[0] if floating else '',
        'reservation-id': inst.get('reservation_id') or '',
        'placement': {'availability-zone': inst.get('availability_zone') or 'nova'},
        'security-groups': '\n'.join(groups),
    }
    if inst.get('key_data'):
        tree['public-keys'] = {'0': {'openssh-key': inst['key_data']}}
    return tree


def _walk(tree, parts):
    node = tree
    for p in parts:
        if not isinstance(node, dict) or p not in node:
            return None
        node = node[p]
    return node


def _listing(node, public_keys_names=None):
    lines = []
    for k, v in node.items():
        if public_keys_names is not None and k in public_keys_names:
            lines.append(f'{k}={public_keys_names[k]}')
        else:
            lines.append(k + ('/' if isinstance(v, dict) else ''))
    return '\n'.join(lines)


@wsgi.public      # no token: the guest is known by its network and address
def handle(req, path=''):
    # by network + fixed IP; without the network only an address no other
    # network holds (two projects' overlapping subnets: nothing, not a guess)
    inst, port = netapi.instance_for_address(*_client(req))
    parts = [p for p in path.split('/') if p]
    if not parts:
        return _text('\n'.join(EC2_VERSIONS + ['openstack']))
    if inst is None:
        return _not_found()
    if parts[0] == 'openstack':
        return _openstack(inst, port, parts[1:])
    if parts[0] not in EC2_VERSIONS:
        return _not_found()
    rest = parts[1:]
    if not rest:
        return _text('meta-data/\nuser-data' if inst.get('user_data') else 'meta-data/')
    if rest == ['user-data']:
        data = _user_data(inst)
        return _text(data, content_type='application/octet-stream') if data is not None \
            else _not_found()
    if rest[0] != 'meta-data':
        return _not_found()
    tree = _ec2_tree(inst, port)
    node = _walk(tree, rest[1:])
    if node is None:
        return _not_found()
    if isinstance(node, dict):
        names = {'0': inst.get('key_name') or 'key'} if rest[1:] == ['public-keys'] else None
        return _text(_listing(node, names))
    return _text(str(node))


def _openstack(inst, port, parts):
    if not parts:
        return _text('\n'.join(OPENSTACK_VERSIONS))
    if parts[0] not in OPENSTACK_VERSIONS:
        return _not_found()
    files = {'meta_data.json': lambda: _json(_meta_data(inst)),
             'user_data': lambda: (lambda d: _text(d, content_type='application/octet-stream')
                                   if d is not None else _not_found())(_user_data(inst)),
             'vendor_data.json': lambda: _json({}),
             'vendor_data2.json': lambda: _json({}),
             'network_data.json': lambda: _json(_network_data(port))}
    if len(parts) == 1:
        names = [n for n in files if n != 'user_data' or inst.get('user_data')]
        return _text('\n'.join(names))
    if len(parts) == 2 and parts[1] in files:
        return files[parts[1]]()
    return _not_found()


def _json(obj):
    return _text(json.dumps(obj), content_type='application/json')


def build_app():
    r = wsgi.Router(max_body=4096)
    r.add('GET', '/', handle)
    for depth in range(1, 6):
        template = '/' + '/'.join(f'{{p{i}}}' for i in range(depth))
        r.add('GET', template, _joined(depth))
    return r


def _joined(depth):
    @wsgi.public
    def handler(req, **params):
        return handle(req, '/'.join(params[f'p{i}'] for i in range(depth)))
    return handler
