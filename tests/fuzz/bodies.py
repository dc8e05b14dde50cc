"""Valid request bodies for the write routes of every API, on real
resources of a tenant: the starting points of the hand-made field
mutations (test_hostile_inputs.py) and, as inferred JSON schemas, of
schemathesis where a route declares no body schema of its own
(test_schemathesis.py)."""
import json
import uuid

from tests.fuzz.conftest import USER_PASSWORD


def infer_schema(value):
    """A JSON schema of ``value``'s shape: objects with these properties
    (all required), arrays of the first item's shape, scalars by type."""
    if isinstance(value, dict):
        return {'type': 'object', 'required': sorted(value),
                'properties': {k: infer_schema(v) for k, v in value.items()}}
    if isinstance(value, list):
        return {'type': 'array', 'items': infer_schema(value[0]) if value else {}}
    if isinstance(value, bool):
        return {'type': 'boolean'}
    if isinstance(value, int):
        return {'type': 'integer'}
    if isinstance(value, float):
        return {'type': 'number'}
    if isinstance(value, str):
        return {'type': 'string'}
    return {}


def scratch(fc):
    """Things the admin may break: a project, a user, a service."""
    if hasattr(fc, 'scratch'):
        return fc.scratch
    n = uuid.uuid4().hex[:6]
    s = {}
    s['project'] = fc.admin('identity', 'POST', '/v3/projects', expect=201, json={
        'project': {'name': f'scratch-{n}', 'domain_id': 'default'}}).json()['project']['id']
    s['user'] = fc.admin('identity', 'POST', '/v3/users', expect=201, json={
        'user': {'name': f'scratch-{n}', 'domain_id': 'default'}}).json()['user']['id']
    s['service'] = fc.admin('identity', 'POST', '/v3/services', expect=201, json={
        'service': {'type': f'scratch{n}', 'name': f'scratch{n}'}}).json()['service']['id']
    s['role'] = fc.admin('identity', 'POST', '/v3/roles', expect=201, json={
        'role': {'name': f'scratch-{n}'}}).json()['role']['id']
    s['flavor'] = fc.admin('compute', 'POST', '/v2.1/flavors', expect=200, json={
        'flavor': {'name': f'scratch-{n}', 'ram': 64, 'vcpus': 1, 'disk': 1}}
    ).json()['flavor']['id']
    fc.scratch = s
    return s


def valid_requests(fc, t):
    """A valid request per write route of every API: (api, method, template,
    path, caller, body); caller None (no token), 'member' (``t``) or 'admin'."""
    s = scratch(fc)
    r = t.resources
    n = uuid.uuid4().hex[:6]
    pid, uid = t.project_id, t.user_id
    flavor = r['flavor_id']
    auth = {'auth': {'identity': {'methods': ['password'], 'password': {'user': {
        'name': t.name, 'domain': {'id': 'default'}, 'password': USER_PASSWORD}}},
        'scope': {'project': {'id': pid}}}}
    return [
        ('identity', 'POST', '/v3/auth/tokens', '/v3/auth/tokens', None, auth),
        ('identity', 'POST', '/v3/signup', '/v3/signup', None,
         {'user': {'name': f'signup-{n}', 'password': 'long-enough-pw', 'email': 'a@b.c'},
          'project': {'name': f'signup-{n}'}}),
        ('identity', 'POST', '/v3/projects', '/v3/projects', 'admin',
         {'project': {'name': f'hp-{n}', 'domain_id': 'default', 'description': 'd',
                      'enabled': True}}),
        ('identity', 'PATCH', '/v3/projects/{project_id}', f'/v3/projects/{s["project"]}', 'admin',
         {'project': {'name': f'hq-{n}', 'description': 'd', 'enabled': True}}),
        ('identity', 'POST', '/v3/users', '/v3/users', 'admin',
         {'user': {'name': f'hu-{n}', 'domain_id': 'default', 'password': 'secret-pass-1',
                   'email': 'a@b.c', 'enabled': True, 'default_project_id': s['project']}}),
        ('identity', 'PATCH', '/v3/users/{user_id}', f'/v3/users/{s["user"]}', 'admin',
         {'user': {'name': f'hv-{n}', 'email': 'a@b.c', 'enabled': True,
                   'description': 'd'}}),
        ('identity', 'POST', '/v3/users/{user_id}/password', f'/v3/users/{uid}/password', 'member',
         {'user': {'password': 'new-secret-123', 'original_password': 'not-the-password'}}),
        ('identity', 'POST', '/v3/roles', '/v3/roles', 'admin', {'role': {'name': f'hr-{n}',
                                                             'description': 'd'}}),
        ('identity', 'PATCH', '/v3/roles/{role_id}', f'/v3/roles/{s["role"]}', 'admin',
         {'role': {'name': f'hs-{n}', 'description': 'd'}}),
        ('identity', 'POST', '/v3/domains', '/v3/domains', 'admin',
         {'domain': {'name': f'hd-{n}', 'description': 'd', 'enabled': True}}),
        ('identity', 'POST', '/v3/services', '/v3/services', 'admin',
         {'service': {'type': f'ht{n}', 'name': f'ht{n}', 'enabled': True}}),
        ('identity', 'POST', '/v3/endpoints', '/v3/endpoints', 'admin',
         {'endpoint': {'service_id': s['service'], 'interface': 'public',
                       'url': 'http://127.0.0.1:1/x', 'region_id': 'RegionOne'}}),
        ('identity', 'POST', '/v3/credentials', '/v3/credentials', 'member',
         {'credential': {'type': 'ec2', 'user_id': uid, 'project_id': pid,
                         'blob': json.dumps({'access': f'a{n}', 'secret': 's'})}}),
        ('identity', 'POST', '/v3/users/{user_id}/credentials/OS-EC2', f'/v3/users/{uid}/credentials/OS-EC2', 'member',
         {'tenant_id': pid}),
        ('compute', 'POST', '/v2.1/servers', '/v2.1/servers', 'member',
         {'server': {'name': f'hs-{n}', 'imageRef': r['image_id'], 'flavorRef': flavor,
                     'networks': [{'uuid': r['network_id']}], 'min_count': 1,
                     'max_count': 1, 'metadata': {'k': 'v'}, 'key_name': r['keypair']}}),
        ('compute', 'PUT', '/v2.1/servers/{server_id}', f'/v2.1/servers/{r["server_id"]}', 'member',
         {'server': {'name': f'{t.name}-server'}}),
        ('compute', 'POST', '/v2.1/servers/{server_id}/action', f'/v2.1/servers/{r["server_id"]}/action', 'member',
         {'reboot': {'type': 'SOFT'}}),
        ('compute', 'POST', '/v2.1/servers/{server_id}/action', f'/v2.1/servers/{r["server_id"]}/action', 'member',
         {'addSecurityGroup': {'name': f'{t.name}-sg'}}),
        # shelve on a server that is not there (the body is checked first; the
        # tenant's own server must stay as it is); unshelve of an ACTIVE server
        # and shelveOffload are refused (409) whatever their fields
        ('compute', 'POST', '/v2.1/servers/{server_id}/action', f'/v2.1/servers/{uuid.uuid4()}/action', 'member',
         {'shelve': None}),
        ('compute', 'POST', '/v2.1/servers/{server_id}/action', f'/v2.1/servers/{r["server_id"]}/action', 'member',
         {'unshelve': {'availability_zone': 'nova', 'host': 'no-such-host'}}),
        ('compute', 'POST', '/v2.1/servers/{server_id}/action', f'/v2.1/servers/{r["server_id"]}/action', 'admin',
         {'shelveOffload': None}),
        ('compute', 'POST', '/v2.1/servers/{server_id}/metadata', f'/v2.1/servers/{r["server_id"]}/metadata', 'member',
         {'metadata': {'k': 'v'}}),
        ('compute', 'PUT', '/v2.1/servers/{server_id}/metadata/{key}', f'/v2.1/servers/{r["server_id"]}/metadata/k', 'member',
         {'meta': {'k': 'v'}}),
        ('compute', 'POST', '/v2.1/os-keypairs', '/v2.1/os-keypairs', 'member',
         {'keypair': {'name': f'hk-{n}', 'type': 'ssh'}}),
        ('compute', 'POST', '/v2.1/os-server-groups', '/v2.1/os-server-groups', 'member',
         {'server_group': {'name': f'hg-{n}', 'policies': ['anti-affinity']}}),
        ('compute', 'POST', '/v2.1/flavors', '/v2.1/flavors', 'admin',
         {'flavor': {'name': f'hf-{n}', 'ram': 512, 'vcpus': 1, 'disk': 1,
                     'OS-FLV-EXT-DATA:ephemeral': 0, 'swap': 0, 'rxtx_factor': 1.0,
                     'os-flavor-access:is_public': True}}),
        ('compute', 'POST', '/v2.1/flavors/{flavor_id}/os-extra_specs', f'/v2.1/flavors/{s["flavor"]}/os-extra_specs', 'admin',
         {'extra_specs': {'hw:cpu_policy': 'shared'}}),
        ('compute', 'PUT', '/v2.1/os-quota-sets/{project_id}', f'/v2.1/os-quota-sets/{s["project"]}', 'admin',
         {'quota_set': {'cores': 20, 'instances': 10, 'ram': 51200}}),
        ('network', 'POST', '/v2.0/networks', '/v2.0/networks', 'member',
         {'network': {'name': f'hn-{n}', 'admin_state_up': True, 'description': 'd'}}),
        ('network', 'PUT', '/v2.0/networks/{network_id}', f'/v2.0/networks/{r["network_id"]}', 'member',
         {'network': {'name': f'{t.name}-net', 'description': 'd'}}),
        ('network', 'POST', '/v2.0/subnets', '/v2.0/subnets', 'member',
         {'subnet': {'network_id': r['network_id'], 'cidr': '10.9.1.0/24',
                     'ip_version': 4, 'name': f'hs-{n}', 'gateway_ip': '10.9.1.1',
                     'dns_nameservers': ['192.0.2.53'], 'enable_dhcp': True,
                     'host_routes': [{'destination': '10.0.0.0/8', 'nexthop': '10.9.1.1'}],
                     'allocation_pools': [{'start': '10.9.1.10', 'end': '10.9.1.20'}]}}),
        ('network', 'POST', '/v2.0/ports', '/v2.0/ports', 'member',
         {'port': {'network_id': r['network_id'], 'name': f'hp-{n}',
                   'fixed_ips': [{'subnet_id': r['subnet_id']}],
                   'security_groups': [r['security_group_id']], 'admin_state_up': True}}),
        ('network', 'POST', '/v2.0/security-groups', '/v2.0/security-groups', 'member',
         {'security_group': {'name': f'hg-{n}', 'description': 'd'}}),
        ('network', 'POST', '/v2.0/security-group-rules', '/v2.0/security-group-rules', 'member',
         {'security_group_rule': {'security_group_id': r['security_group_id'],
                                  'direction': 'ingress', 'ethertype': 'IPv4',
                                  'protocol': 'tcp', 'port_range_min': 22,
                                  'port_range_max': 22,
                                  'remote_ip_prefix': '10.0.0.0/8'}}),
        ('network', 'POST', '/v2.0/floatingips', '/v2.0/floatingips', 'member',
         {'floatingip': {'floating_network_id': r['network_id']}}),
        ('image', 'POST', '/v2/images', '/v2/images', 'member',
         {'name': f'hi-{n}', 'disk_format': 'raw', 'container_format': 'bare',
          'visibility': 'private', 'tags': ['a'], 'min_disk': 0, 'min_ram': 0,
          'protected': False}),
        ('image', 'PATCH', '/v2/images/{image_id}', f'/v2/images/{r["image_id"]}', 'member',
         [{'op': 'replace', 'path': '/name', 'value': f'{t.name}-image'}]),
        ('image', 'POST', '/v2/images/{image_id}/members', f'/v2/images/{r["image_id"]}/members', 'member',
         {'member': fc.bob.project_id}),
        ('volume', 'POST', '/v3/{project_id}/volumes', f'/v3/{pid}/volumes', 'member',
         {'volume': {'size': 1, 'name': f'hv-{n}', 'description': 'd',
                     'metadata': {'a': 'b'}, 'availability_zone': 'nova'}}),
        ('volume', 'PUT', '/v3/{project_id}/volumes/{volume_id}',
         f'/v3/{pid}/volumes/{r["volume_id"]}', 'member',
         {'volume': {'name': f'{t.name}-volume', 'description': 'd'}}),
        ('volume', 'POST', '/v3/{project_id}/volumes/{volume_id}/action',
         f'/v3/{pid}/volumes/{r["volume_id"]}/action', 'member',
         {'os-extend': {'new_size': 1}}),
        ('volume', 'POST', '/v3/{project_id}/snapshots', f'/v3/{pid}/snapshots', 'member',
         {'snapshot': {'volume_id': r['volume_id'], 'name': f'hs-{n}', 'force': False}}),
        ('volume', 'POST', '/v3/{project_id}/types', f'/v3/{pid}/types', 'admin',
         {'volume_type': {'name': f'ht-{n}', 'description': 'd',
                          'extra_specs': {'volume_backend_name': 'file'}}}),
        ('volume', 'PUT', '/v3/{project_id}/os-quota-sets/{target_project_id}',
         f'/v3/{pid}/os-quota-sets/{s["project"]}', 'admin',
         {'quota_set': {'volumes': 10, 'gigabytes': 100}}),
        # per-volume-type quotas; migration of a volume (to no such backend: 400
        # whatever the fields, the volume stays), and the abort of none (400)
        ('volume', 'PUT', '/v3/{project_id}/os-quota-sets/{target_project_id}',
         f'/v3/{pid}/os-quota-sets/{s["project"]}', 'admin',
         {'quota_set': {'volumes___DEFAULT__': 10, 'gigabytes___DEFAULT__': 100,
                        'snapshots___DEFAULT__': 5}}),
        ('volume', 'POST', '/v3/{project_id}/volumes/{volume_id}/action',
         f'/v3/{pid}/volumes/{r["volume_id"]}/action', 'admin',
         {'os-migrate_volume': {'host': 'no-such-host@file#file', 'force_host_copy': False,
                                'lock_volume': False}}),
        ('volume', 'POST', '/v3/{project_id}/volumes/{volume_id}/action',
         f'/v3/{pid}/volumes/{r["volume_id"]}/action', 'admin',
         {'os-migrate_volume_completion': {'new_volume': r['volume_id'], 'error': True}}),
    ]
