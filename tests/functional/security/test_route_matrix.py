"""The route matrix: every route of every API, enumerated from the routers
themselves, called by every kind of attacker; nothing of the victim's may
be seen or changed.

A route is classified by its path parameters: one naming the victim's
resource (server, network, image, user, project…) must answer 401/403/404
to anyone outside the victim's project; a route without such parameters
acts on the caller's own resources and may succeed, but its answer may not
name anything of the victim's. Every write route needs a request body in
WRITE_BODIES (a valid one, so that a refusal proves the authorization and
not the body check): a new route fails ``test_every_write_route_has_a_body``
until it is classified here, and ``test_every_route_declares_a_policy``
until its handler declares its policy.
"""
import base64
import json
import re

import pytest

from iaas import wsgi
from tests.functional.security import cloud as cloud_mod

READ = ('GET', 'HEAD')


def _server_actions(v):
    return [{'os-stop': None}, {'os-start': None}, {'reboot': {'type': 'HARD'}},
            {'pause': None}, {'suspend': None}, {'lock': None}, {'unlock': None},
            {'createImage': {'name': 'stolen'}}, {'os-getConsoleOutput': {}},
            {'addSecurityGroup': {'name': 'default'}},
            {'removeSecurityGroup': {'name': 'default'}},
            {'resize': {'flavorRef': v['flavor_id']}}, {'confirmResize': None},
            {'rebuild': {'imageRef': v['image_id'], 'name': 'pwned'}},
            {'createBackup': {'name': 'b', 'backup_type': 'daily', 'rotation': 0}},
            {'forceDelete': None}, {'restore': None}, {'shelve': None},
            {'shelveOffload': None}, {'unshelve': None},
            {'unshelve': {'availability_zone': 'nova'}},
            {'os-getSerialConsole': {'type': 'serial'}},
            {'evacuate': {}}, {'evacuate': {'host': 'sec-c1'}},
            {'migrate': None}, {'migrate': {'host': 'sec-c1'}},
            {'os-migrateLive': {'host': None, 'block_migration': 'auto'}}]


# (METHOD, template) → function(victim) → body (a list: one call per body).
# The bodies are valid requests; those of collection routes point at the
# victim's resources wherever the API lets a body name one.
WRITE_BODIES = {
    # compute
    ('POST', '/v2.1/servers'): lambda v: [{'server': {
        'name': 'x', 'imageRef': v['image_id'], 'flavorRef': v['flavor_id'],
        'networks': [{'uuid': v['network_id']}], 'key_name': v['name'],
        'security_groups': [{'name': 'victim-sg'}]}}],
    ('PUT', '/v2.1/servers/{server_id}'): lambda v: [{'server': {'name': 'pwned'}}],
    ('DELETE', '/v2.1/servers/{server_id}'): None,
    ('POST', '/v2.1/servers/{server_id}/action'): _server_actions,
    ('POST', '/v2.1/servers/{server_id}/remote-consoles'): lambda v: [
        {'remote_console': {'protocol': 'serial', 'type': 'serial'}},
        {'remote_console': {'protocol': 'vnc', 'type': 'novnc'}}],
    ('POST', '/v2.1/servers/{server_id}/metadata'): lambda v: [{'metadata': {'a': 'b'}}],
    ('PUT', '/v2.1/servers/{server_id}/metadata'): lambda v: [{'metadata': {'a': 'b'}}],
    ('PUT', '/v2.1/servers/{server_id}/metadata/{key}'):
        lambda v: [{'meta': {v['key']: 'pwned'}}],
    ('DELETE', '/v2.1/servers/{server_id}/metadata/{key}'): None,
    ('DELETE', '/v2.1/servers/{server_id}/os-server-password'): None,
    ('PUT', '/v2.1/servers/{server_id}/tags'): lambda v: [{'tags': ['pwned']}],
    ('DELETE', '/v2.1/servers/{server_id}/tags'): None,
    ('PUT', '/v2.1/servers/{server_id}/tags/{tag}'): None,
    ('DELETE', '/v2.1/servers/{server_id}/tags/{tag}'): None,
    ('POST', '/v2.1/servers/{server_id}/os-volume_attachments'):
        lambda v: [{'volumeAttachment': {'volumeId': v['volume_id']}}],
    ('PUT', '/v2.1/servers/{server_id}/os-volume_attachments/{volume_id}'):
        lambda v: [{'volumeAttachment': {'volumeId': v['volume_id'],
                                         'delete_on_termination': True}}],
    ('DELETE', '/v2.1/servers/{server_id}/os-volume_attachments/{volume_id}'): None,
    ('POST', '/v2.1/flavors'): lambda v: [{'flavor': {'name': 'evil', 'ram': 64,
                                                      'vcpus': 1, 'disk': 1}}],
    ('PUT', '/v2.1/flavors/{flavor_id}'): lambda v: [{'flavor': {'description': 'pwned'}}],
    ('DELETE', '/v2.1/flavors/{flavor_id}'): None,
    ('POST', '/v2.1/flavors/{flavor_id}/action'): lambda v: [
        {'addTenantAccess': {'tenant': 'someone'}},
        {'removeTenantAccess': {'tenant': v['project_id']}}],
    ('POST', '/v2.1/flavors/{flavor_id}/os-extra_specs'):
        lambda v: [{'extra_specs': {'hw:cpu_policy': 'dedicated'}}],
    ('PUT', '/v2.1/flavors/{flavor_id}/os-extra_specs/{key}'):
        lambda v: [{v['key']: 'x'}],
    ('DELETE', '/v2.1/flavors/{flavor_id}/os-extra_specs/{key}'): None,
    ('POST', '/v2.1/os-keypairs'): lambda v: [{'keypair': {'name': 'mine-key'}}],
    ('DELETE', '/v2.1/os-keypairs/{name}'): None,
    ('PUT', '/v2.1/os-quota-sets/{project_id}'):
        lambda v: [{'quota_set': {'instances': 1000}}],
    ('DELETE', '/v2.1/os-quota-sets/{project_id}'): None,
    ('PUT', '/v2.1/os-services/{service_id}'): lambda v: [{'status': 'disabled'}],
    ('DELETE', '/v2.1/os-services/{service_id}'): None,
    ('POST', '/v2.1/os-server-groups'): lambda v: [{'server_group': {
        'name': 'g', 'policies': ['affinity']}}],
    ('DELETE', '/v2.1/os-server-groups/{group_id}'): None,
    # network
    ('POST', '/v2.0/networks'): lambda v: [{'network': {'name': 'n'}}],
    ('PUT', '/v2.0/networks/{network_id}'): lambda v: [{'network': {'name': 'pwned'}}],
    ('DELETE', '/v2.0/networks/{network_id}'): None,
    ('POST', '/v2.0/subnets'): lambda v: [{'subnet': {
        'network_id': v['network_id'], 'cidr': '10.78.0.0/24', 'ip_version': 4}}],
    ('PUT', '/v2.0/subnets/{subnet_id}'): lambda v: [{'subnet': {'name': 'pwned'}}],
    ('DELETE', '/v2.0/subnets/{subnet_id}'): None,
    ('POST', '/v2.0/ports'): lambda v: [
        {'port': {'network_id': v['network_id']}},
        {'port': {'network_id': v['external_network_id'],
                  'security_groups': [v['security_group_id']]}},
        {'port': {'network_id': v['external_network_id'], 'device_id': v['server_id'],
                  'device_owner': 'compute:nova'}}],
    ('PUT', '/v2.0/ports/{port_id}'): lambda v: [{'port': {'name': 'pwned'}}],
    ('DELETE', '/v2.0/ports/{port_id}'): None,
    ('POST', '/v2.0/floatingips'): lambda v: [{'floatingip': {
        'floating_network_id': v['external_network_id'], 'port_id': v['port_id']}}],
    ('PUT', '/v2.0/floatingips/{floatingip_id}'): lambda v: [{'floatingip': {'port_id': None}}],
    ('DELETE', '/v2.0/floatingips/{floatingip_id}'): None,
    ('POST', '/v2.0/security-groups'): lambda v: [{'security_group': {'name': 'sg'}}],
    ('PUT', '/v2.0/security-groups/{security_group_id}'):
        lambda v: [{'security_group': {'name': 'pwned'}}],
    ('DELETE', '/v2.0/security-groups/{security_group_id}'): None,
    ('POST', '/v2.0/security-group-rules'): lambda v: [{'security_group_rule': {
        'security_group_id': v['security_group_id'], 'direction': 'ingress',
        'protocol': 'tcp', 'port_range_min': 1, 'port_range_max': 65535}}],
    ('DELETE', '/v2.0/security-group-rules/{rule_id}'): None,
    ('POST', '/v2.0/routers'): lambda v: [{'router': {'name': 'r'}}],
    ('PUT', '/v2.0/routers/{router_id}'): lambda v: [{'router': {'name': 'pwned'}}],
    ('DELETE', '/v2.0/routers/{router_id}'): None,
    ('PUT', '/v2.0/routers/{router_id}/add_router_interface'):
        lambda v: [{'port_id': v['port_id']}],
    ('PUT', '/v2.0/routers/{router_id}/remove_router_interface'):
        lambda v: [{'subnet_id': v['subnet_id']}],
    # image
    ('POST', '/v2/images'): lambda v: [{'name': 'mine', 'disk_format': 'raw',
                                        'container_format': 'bare', 'id': v['image_id']}],
    ('PATCH', '/v2/images/{image_id}'): lambda v: [[
        {'op': 'replace', 'path': '/name', 'value': 'pwned'}]],
    ('DELETE', '/v2/images/{image_id}'): None,
    ('DELETE', '/v2/images'): None,
    ('PUT', '/v2/images'): None,
    ('PATCH', '/v2/images'): lambda v: [[{'op': 'replace', 'path': '/name', 'value': 'x'}]],
    ('PUT', '/v2/images/{image_id}/file'): 'raw',
    ('POST', '/v2/images/{image_id}/actions/deactivate'): None,
    ('POST', '/v2/images/{image_id}/actions/reactivate'): None,
    ('PUT', '/v2/images/{image_id}/tags/{tag}'): None,
    ('DELETE', '/v2/images/{image_id}/tags/{tag}'): None,
    ('POST', '/v2/images/{image_id}/members'): lambda v: [{'member': 'someone'}],
    ('PUT', '/v2/images/{image_id}/members/{member_id}'):
        lambda v: [{'status': 'accepted'}],
    ('DELETE', '/v2/images/{image_id}/members/{member_id}'): None,
    # identity
    ('POST', '/v3/auth/tokens'): 'public',
    ('DELETE', '/v3/auth/tokens'): 'subject',
    ('POST', '/v3/domains'): lambda v: [{'domain': {'name': 'evil'}}],
    ('PATCH', '/v3/domains/{domain_id}'): lambda v: [{'domain': {'description': 'pwned'}}],
    ('DELETE', '/v3/domains/{domain_id}'): None,
    ('POST', '/v3/projects'): lambda v: [{'project': {'name': 'evil'}}],
    ('PATCH', '/v3/projects/{project_id}'): lambda v: [{'project': {'enabled': False}}],
    ('DELETE', '/v3/projects/{project_id}'): None,
    ('POST', '/v3/users'): lambda v: [{'user': {'name': 'evil', 'password': 'x' * 12}}],
    ('PATCH', '/v3/users/{user_id}'): lambda v: [{'user': {'password': 'y' * 12}}],
    ('DELETE', '/v3/users/{user_id}'): None,
    ('POST', '/v3/users/{user_id}/password'): lambda v: [{'user': {
        'original_password': cloud_mod.PW, 'password': 'z' * 12}}],
    ('POST', '/v3/roles'): lambda v: [{'role': {'name': 'evil'}}],
    ('PATCH', '/v3/roles/{role_id}'): lambda v: [{'role': {'name': 'evil'}}],
    ('DELETE', '/v3/roles/{role_id}'): None,
    ('PUT', '/v3/projects/{target_id}/users/{user_id}/roles/{role_id}'): None,
    ('DELETE', '/v3/projects/{target_id}/users/{user_id}/roles/{role_id}'): None,
    ('PUT', '/v3/domains/{target_id}/users/{user_id}/roles/{role_id}'): None,
    ('DELETE', '/v3/domains/{target_id}/users/{user_id}/roles/{role_id}'): None,
    ('POST', '/v3/services'): lambda v: [{'service': {'type': 'evil', 'name': 'evil'}}],
    ('PATCH', '/v3/services/{service_id}'): lambda v: [{'service': {'enabled': False}}],
    ('DELETE', '/v3/services/{service_id}'): None,
    ('POST', '/v3/endpoints'): lambda v: [{'endpoint': {
        'service_id': v['service_id'], 'interface': 'public', 'url': 'http://evil/'}}],
    ('PATCH', '/v3/endpoints/{endpoint_id}'): lambda v: [{'endpoint': {'url': 'http://evil/'}}],
    ('DELETE', '/v3/endpoints/{endpoint_id}'): None,
    ('POST', '/v3/credentials'): lambda v: [{'credential': {
        'type': 'ec2', 'user_id': v['user_id'], 'project_id': v['project_id'],
        'blob': '{"access": "evil", "secret": "s"}'}}],
    ('DELETE', '/v3/credentials/{credential_id}'): None,
    ('POST', '/v3/users/{user_id}/credentials/OS-EC2'):
        lambda v: [{'tenant_id': v['project_id']}],
    ('DELETE', '/v3/users/{user_id}/credentials/OS-EC2/{access}'): None,
    ('POST', '/v3/users/{user_id}/application_credentials'):
        lambda v: [{'application_credential': {'name': 'stolen'}}],
    ('DELETE', '/v3/users/{user_id}/application_credentials/{application_credential_id}'):
        None,
    ('POST', '/v3/signup'): 'public',
}


def _volume_actions(v):
    return [{'os-extend': {'new_size': 2}}, {'os-reset_status': {'status': 'error'}},
            {'os-set_image_metadata': {'metadata': {'a': 'b'}}},
            {'os-unset_image_metadata': {'key': 'a'}}, {'os-set_bootable': {'bootable': True}},
            {'os-force_delete': {}}, {'os-volume_upload_image': {'image_name': 'stolen'}},
            {'os-force_detach': {}},
            {'os-migrate_volume': {'host': f'{v["volume_host"]}@file#file'}},
            {'os-migrate_volume_completion': {'new_volume': v['volume_id'], 'error': True}}]


def _backup_records(v):
    """Import records naming the victim's backup: its id, and its data under
    a new id, into the caller's project and into the victim's."""
    def body(record, **extra):
        url = base64.b64encode(json.dumps(record).encode()).decode()
        return {'backup-record': {'backup_service':
                                  'cinder.backup.drivers.swift.SwiftBackupDriver',
                                  'backup_url': url, **extra}}
    theirs = {'id': v['backup_id'], 'size': 1, 'volume_id': v['volume_id']}
    copy = {'id': '7d1f5a0e-1c2b-4e3f-9a8b-0c1d2e3f4a5b', 'size': 1,
            'service_metadata': f"backup/{v['backup_id']}"}
    return [body(theirs), body(copy), body(copy, project_id=v['project_id'])]


# Routes where a body's secret, not the caller, is the authorization.
WRONG_SECRET_400 = set()

# block storage: every route with and without the project in the path
for _prefix in ('/v3', '/v3/{project_id}'):
    WRITE_BODIES.update({
        ('POST', _prefix + '/volumes'): lambda v: [
            {'volume': {'size': 1}}, {'volume': {'snapshot_id': v['snapshot_id']}},
            {'volume': {'source_volid': v['volume_id']}},
            {'volume': {'size': 1, 'volume_type': v['type_id']}},
            {'volume': {'backup_id': v['backup_id']}},
            {'volume': {'size': 1, 'group_id': v['volume_group_id']}}],
        ('PUT', _prefix + '/volumes/{volume_id}'): lambda v: [{'volume': {'name': 'pwned'}}],
        ('DELETE', _prefix + '/volumes/{volume_id}'): None,
        ('POST', _prefix + '/volumes/{volume_id}/action'): _volume_actions,
        ('POST', _prefix + '/volumes/{volume_id}/metadata'): lambda v: [{'metadata': {'a': 'b'}}],
        ('PUT', _prefix + '/volumes/{volume_id}/metadata'): lambda v: [{'metadata': {'a': 'b'}}],
        ('PUT', _prefix + '/volumes/{volume_id}/metadata/{key}'):
            lambda v: [{'meta': {v['key']: 'pwned'}}],
        ('DELETE', _prefix + '/volumes/{volume_id}/metadata/{key}'): None,
        ('POST', _prefix + '/snapshots'): lambda v: [{'snapshot': {'volume_id': v['volume_id'],
                                                                   'force': True}}],
        ('PUT', _prefix + '/snapshots/{snapshot_id}'): lambda v: [{'snapshot': {'name': 'x'}}],
        ('DELETE', _prefix + '/snapshots/{snapshot_id}'): None,
        ('POST', _prefix + '/snapshots/{snapshot_id}/action'):
            lambda v: [{'os-reset_status': {'status': 'error'}}],
        ('POST', _prefix + '/snapshots/{snapshot_id}/metadata'):
            lambda v: [{'metadata': {'a': 'b'}}],
        ('PUT', _prefix + '/snapshots/{snapshot_id}/metadata'):
            lambda v: [{'metadata': {'a': 'b'}}],
        ('PUT', _prefix + '/snapshots/{snapshot_id}/metadata/{key}'):
            lambda v: [{'meta': {v['key']: 'pwned'}}],
        ('DELETE', _prefix + '/snapshots/{snapshot_id}/metadata/{key}'): None,
        ('POST', _prefix + '/types'): lambda v: [{'volume_type': {'name': 'evil'}}],
        ('PUT', _prefix + '/types/{type_id}'): lambda v: [{'volume_type': {'name': 'pwned'}}],
        ('DELETE', _prefix + '/types/{type_id}'): None,
        ('POST', _prefix + '/types/{type_id}/action'): lambda v: [
            {'addProjectAccess': {'project': 'someone'}},
            {'removeProjectAccess': {'project': v['project_id']}}],
        ('POST', _prefix + '/types/{type_id}/extra_specs'):
            lambda v: [{'extra_specs': {'volume_backend_name': 'evil'}}],
        ('PUT', _prefix + '/types/{type_id}/extra_specs/{key}'): lambda v: [{v['key']: 'y'}],
        ('DELETE', _prefix + '/types/{type_id}/extra_specs/{key}'): None,
        ('POST', _prefix + '/backups'): lambda v: [{'backup': {'volume_id': v['volume_id'],
                                                               'force': True}}],
        ('PUT', _prefix + '/backups/{backup_id}'): lambda v: [{'backup': {'name': 'pwned'}}],
        ('DELETE', _prefix + '/backups/{backup_id}'): None,
        ('POST', _prefix + '/backups/{backup_id}/restore'): lambda v: [
            {'restore': {}}, {'restore': {'volume_id': v['volume_id']}}],
        ('POST', _prefix + '/backups/{backup_id}/action'): lambda v: [
            {'os-reset_status': {'status': 'error'}}, {'os-force_delete': {}}],
        ('POST', _prefix + '/backups/import_record'): _backup_records,
        ('POST', _prefix + '/types/{type_id}/encryption'): lambda v: [
            {'encryption': {'provider': 'luks', 'control_location': 'front-end'}}],
        ('PUT', _prefix + '/types/{type_id}/encryption/{encryption_id}'):
            lambda v: [{'encryption': {'key_size': 128}}],
        ('DELETE', _prefix + '/types/{type_id}/encryption/{encryption_id}'): None,
        ('POST', _prefix + '/attachments'): lambda v: [
            {'attachment': {'volume_uuid': v['volume_id']}},
            {'attachment': {'volume_uuid': v['attached_volume_id'],
                            'connector': {'host': 'evil', 'ip': '10.9.9.9'}}}],
        ('PUT', _prefix + '/attachments/{attachment_id}'): lambda v: [
            {'attachment': {'connector': {'host': 'evil', 'ip': '10.9.9.9'}}}],
        ('DELETE', _prefix + '/attachments/{attachment_id}'): None,
        ('POST', _prefix + '/attachments/{attachment_id}/action'):
            lambda v: [{'os-complete': None}],
        ('PUT', _prefix + '/os-quota-sets/{target_project_id}'):
            lambda v: [{'quota_set': {'volumes': 1000}}],
        ('DELETE', _prefix + '/os-quota-sets/{target_project_id}'): None,
        ('DELETE', _prefix + '/messages/{message_id}'): None,
        ('PUT', _prefix + '/os-services/{action}'):
            lambda v: [{'host': v['volume_host'], 'binary': 'cinder-volume'}],
    })
    # volume transfers (both paths) and quota classes
    for _transfers in ('/os-volume-transfer', '/volume-transfers'):
        WRITE_BODIES.update({
            ('POST', _prefix + _transfers): lambda v: [
                {'transfer': {'volume_id': v['volume_id']}},
                {'transfer': {'volume_id': v['transfer_volume_id']}}],
            ('POST', _prefix + _transfers + '/{transfer_id}/accept'):
                lambda v: [{'accept': {'auth_key': 'not-the-victims-key'}}],
            ('DELETE', _prefix + _transfers + '/{transfer_id}'): None,
        })
        # Cinder's design: anyone may accept a transfer by id, the key is the
        # authorization; a wrong key is 400 (and changes nothing)
        WRONG_SECRET_400.add(('POST', _prefix + _transfers + '/{transfer_id}/accept'))
    WRITE_BODIES[('PUT', _prefix + '/os-quota-class-sets/{quota_class_name}')] = \
        lambda v: [{'quota_class_set': {'volumes': 1000}}]
    # generic volume groups, their snapshots and group types
    _gt, _gs = _prefix + '/group_types/{group_type_id}', _prefix + '/group_snapshots'
    WRITE_BODIES.update({
        ('POST', _prefix + '/group_types'): lambda v: [{'group_type': {'name': 'evil'}}],
        ('PUT', _gt): lambda v: [{'group_type': {'name': 'pwned'}}],
        ('DELETE', _gt): None,
        ('POST', _gt + '/group_specs'): lambda v: [{'group_specs': {v['key']: 'evil'}}],
        ('PUT', _gt + '/group_specs/{key}'): lambda v: [{v['key']: 'y'}],
        ('DELETE', _gt + '/group_specs/{key}'): None,
        ('POST', _prefix + '/groups'): lambda v: [
            {'group': {'group_type': v['group_type_id'], 'volume_types': [v['type_id']]}}],
        ('POST', _prefix + '/groups/action'): lambda v: [
            {'create-from-src': {'source_group_id': v['volume_group_id']}},
            {'create-from-src': {'group_snapshot_id': v['group_snapshot_id']}}],
        ('PUT', _prefix + '/groups/{group_id}'): lambda v: [
            {'group': {'name': 'pwned'}}, {'group': {'remove_volumes': v['group_volume_id']}}],
        ('POST', _prefix + '/groups/{group_id}/action'): lambda v: [
            {'delete': {'delete-volumes': True}}, {'reset_status': {'status': 'error'}}],
        ('POST', _gs): lambda v: [{'group_snapshot': {'group_id': v['volume_group_id']}}],
        ('DELETE', _gs + '/{group_snapshot_id}'): None,
        ('POST', _gs + '/{group_snapshot_id}/action'):
            lambda v: [{'reset_status': {'status': 'error'}}],
    })
    # QoS specs (admin only)
    _qs = _prefix + '/qos-specs'
    WRITE_BODIES.update({
        ('POST', _qs): lambda v: [{'qos_specs': {'name': 'evil', 'consumer': 'both',
                                                 'read_iops_sec': '1'}}],
        ('PUT', _qs + '/{qos_id}'): lambda v: [{'qos_specs': {'victim-key': 'pwned'}}],
        ('PUT', _qs + '/{qos_id}/delete_keys'): lambda v: [{'keys': ['victim-key']}],
        ('DELETE', _qs + '/{qos_id}'): None,
    })

# rating
_rp = '/v1/projects/{project_id}'
WRITE_BODIES.update({
    ('POST', '/v1/prices'): lambda v: [{'price': {'meter': 'instance.running',
                                                  'unit_price': '0'}}],
    ('PUT', _rp + '/budget'): lambda v: [{'budget': {'amount': '1', 'enforce': True}}],
    ('DELETE', _rp + '/budget'): None,
    ('POST', _rp + '/discounts'): lambda v: [{'discount': {'percent': '100'}}],
    ('POST', _rp + '/credits'): lambda v: [{'credit': {'period': v['prev_period'],
                                                       'amount': '1000'}}],
    ('POST', '/v1/invoices'): lambda v: [{'invoice': {'project_id': v['project_id'],
                                                      'period': v['prev_period']}}],
    ('PUT', '/v1/invoices/{invoice_id}'): lambda v: [{'invoice': {'state': 'paid'}}],
    ('POST', '/v1/reconcile'): None,
})

# Routes naming the victim's resource that anyone may read all the same.
PUBLIC_READS = {('GET', '/v2.1/os-quota-sets/{project_id}/defaults')}   # Nova: "@"

# Per-API names of path parameters whose victim value has another key.
PARAM_KEYS = {('compute', 'service_id'): 'compute_service_id', ('compute', 'tag'): 'key',
              ('compute', 'network'): 'name', ('volume', 'action'): 'service_action',
              ('volume', 'group_id'): 'volume_group_id',
              ('volume', 'encryption_id'): 'type_id'}

ATTACKERS = ('no_token', 'unscoped', 'other_member', 'reader', 'disabled_user',
             'disabled_project', 'revoked')
DEAD = ('disabled_user', 'disabled_project', 'revoked')


def all_routes(c):
    for api, router in c.apps.items():
        for route in router.routes:
            for method in sorted(route.methods - {'HEAD'}):
                yield api, method, route


def test_every_route_declares_a_policy(security_cloud):
    from iaas.api.metadata import app as metadata_app
    metadata = [('metadata', m, r) for r in metadata_app.build_app().routes
                for m in sorted(r.methods)]
    missing = [f'{api} {m} {r.template}'
               for api, m, r in list(all_routes(security_cloud)) + metadata
               if r.policy is None]
    assert not missing, 'routes without a declared policy:\n' + '\n'.join(missing)


def test_every_write_route_has_a_body(security_cloud):
    missing = [f'{m} {r.template}' for api, m, r in all_routes(security_cloud)
               if m not in READ and (m, r.template.replace('.json', '')) not in WRITE_BODIES]
    assert not missing, 'classify these routes in WRITE_BODIES:\n' + '\n'.join(missing)


def _path(api, template, v):
    def value(m):
        key = PARAM_KEYS.get((api, m.group(1)), m.group(1))
        return str(v[key])
    return re.sub(r'\{(\w+)\}', value, template)


def _victim_params(template):
    return [p for p in re.findall(r'\{(\w+)\}', template)
            if p not in cloud_mod.GLOBAL_PARAMS]


# microversioned APIs are called at their latest version (what clients negotiate)
LATEST = {'volume': 'volume latest', 'compute': 'compute latest'}


def _calls(c, api, method, route):
    """(path, body or raw, headers) of each call to make."""
    path = _path(api, route.template, c.victim)
    spec = WRITE_BODIES.get((method, route.template.replace('.json', '')), None) \
        if method not in READ else None
    if spec == 'public':
        return []
    if spec == 'subject':
        return [(path, None, {'X-Subject-Token': c.tokens['victim']})]
    if spec == 'raw':
        return [(path, b'stolen', {'Content-Type': 'application/octet-stream'})]
    if method == 'GET' and route.template == '/v3/auth/tokens':
        return [(path, None, {'X-Subject-Token': c.tokens['victim']})]
    bodies = spec(c.victim) if spec else [None]
    headers = {'Content-Type': 'application/openstack-images-v2.1-json-patch'} \
        if method == 'PATCH' and api == 'image' else {}
    if api in LATEST:      # every route of the API, not only the 3.0 ones
        headers['OpenStack-API-Version'] = LATEST[api]
    return [(path, b, headers) for b in bodies]


def _leaks(c, resp):
    text = resp.body.decode('utf-8', 'replace')
    return sorted(i for i in c.victim_ids if i in text)


@pytest.mark.parametrize('attacker', ATTACKERS)
def test_route_matrix(security_cloud, attacker):
    c = security_cloud
    before = c.snapshot()
    token = None if attacker == 'no_token' else c.tokens[attacker]
    problems = []
    for api, method, route in all_routes(c):
        pol = route.policy
        if pol is not None and pol.scope == wsgi.PUBLIC:
            continue
        if attacker == 'reader' and method in READ:
            continue     # the reader belongs to the victim's project: it may read
        for path, body, headers in _calls(c, api, method, route):
            raw = body if isinstance(body, bytes) else None
            resp = c.call(api, method, path, token, None if raw else body, headers, raw=raw)
            what = f'{api} {method} {path} {body!r:.80}: {resp.status} {resp.body[:160]!r}'
            if resp.status >= 500:
                problems.append('server error: ' + what)
            elif attacker == 'no_token' or attacker in DEAD:
                if resp.status != 401:
                    problems.append('expected 401: ' + what)
            elif attacker == 'reader':
                # A route a reader may write to (its own password, token,
                # credentials) still refuses the victim's: 403 or 404.
                allowed = (403, 404) if pol is not None and pol.reader_may_write else (403,)
                if resp.status not in allowed:
                    problems.append('expected 403 (reader may not write): ' + what)
            elif (method, route.template) in PUBLIC_READS:
                continue
            elif _victim_params(route.template):
                if resp.status not in (403, 404) and not (
                        resp.status == 400 and (method, route.template) in WRONG_SECRET_400):
                    problems.append('expected 403/404: ' + what)
            elif resp.status < 300 and _leaks(c, resp):
                problems.append(f'leaks {_leaks(c, resp)}: ' + what)
            elif attacker == 'unscoped' and resp.status < 300 and \
                    (pol is None or pol.scope == wsgi.PROJECT):
                problems.append('project route served to an unscoped token: ' + what)
    after = c.snapshot()
    changed = [k for k in before if before[k] != after.get(k)]
    assert not problems and not changed, '\n'.join(
        problems + [f'victim state changed: {k}: {before[k]!r:.200} -> {after.get(k)!r:.200}'
                    for k in changed])


@pytest.mark.parametrize('attacker', ATTACKERS)
def test_metrics_and_healthcheck(security_cloud, attacker, monkeypatch):
    """/metrics and /healthcheck are served by the layer every port runs
    its application in (iaas.common.observe), not by the routers: to a
    client outside [metrics] allowed_networks /metrics is an unknown path
    (404 in the API's format) whatever its token, and /healthcheck says
    only ``OK`` (detail asked for or not); an admin's token gets the
    checks' detail."""
    import webob

    from iaas.api import auth
    from iaas.common import health, observe
    monkeypatch.setattr(health, '_admin_check', [auth.token_is_admin])
    c = security_cloud
    token = None if attacker == 'no_token' else c.tokens[attacker]
    problems = []
    for api, app in c.apps.items():
        observed = observe.Observed(app, api)
        for who in (token, c.admin):
            for path in ('/metrics', '/healthcheck'):
                req = webob.Request.blank(path, remote_addr='198.51.100.7',
                                          headers={'Accept': 'application/json'})
                if who:
                    req.headers['X-Auth-Token'] = who
                resp = req.get_response(observed)
                what = f'{api} GET {path} as {attacker if who == token else "admin"}: ' \
                       f'{resp.status_int} {resp.body[:160]!r}'
                if path == '/metrics' and (resp.status_int != 404 or b'iaas_' in resp.body):
                    problems.append('metrics served to a stranger: ' + what)
                elif path == '/healthcheck' and who == token and resp.body != b'OK':
                    problems.append('health detail or failure: ' + what)
                elif path == '/healthcheck' and who == c.admin and \
                        b'"database": {"ok": true' not in resp.body:
                    problems.append('no health detail for the admin: ' + what)
    assert not problems, '\n'.join(problems)
