"""Every WSGI API of iaas-api and iaas-image in this process (webob, no
sockets), with the scheduler and a fake compute host on ``memory://``, and
the principals and victim resources the isolation tests attack.

The victim is project ``victim`` (user ``victim``, member); the attackers
are a member of another project, a user with an unscoped token (signed
up), a reader of the victim's project, a disabled user, a member of a
disabled project and a revoked token.
"""
import json
import time
import uuid

import webob

ADMIN_PW = 'admin-pass-1'
PW = 'pw-' + 'x' * 10


class Response:
    def __init__(self, resp):
        self.status = resp.status_int
        self.headers = resp.headers
        self.body = resp.body
        try:
            self.json = json.loads(resp.body) if resp.body else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return f'<{self.status} {self.body[:300]!r}>'


class Cloud:
    """The APIs by name: identity, compute, network, image, volume."""

    def __init__(self):
        from iaas.api.compute import app as compute_app
        from iaas.api.identity import app as identity_api
        from iaas.api.image import app as image_app
        from iaas.api.network import app as network_app
        from iaas.api.rating import app as rating_app
        from iaas.api.volume import app as volume_app
        self.apps = {'identity': identity_api.build_app(),
                     'rating': rating_app.build_app(),
                     'compute': compute_app.build_app(),
                     'network': network_app.build_app(),
                     'image': image_app.build_app(),
                     'volume': volume_app.build_app()}

    def call(self, api, method, path, token=None, body=None, headers=None, raw=None):
        req = webob.Request.blank(path, method=method)
        if raw is not None:
            req.body = raw
        elif body is not None:
            req.body = json.dumps(body).encode()
            req.content_type = 'application/json'
        if token:
            req.headers['X-Auth-Token'] = token
        for k, v in (headers or {}).items():
            req.headers[k] = v
        return Response(req.get_response(self.apps[api]))

    def ok(self, api, method, path, token, body=None, headers=None, status=None):
        r = self.call(api, method, path, token, body, headers)
        assert r.status < 300 if status is None else r.status == status, \
            f'{method} {path}: {r!r}'
        return r

    # --- identity ---------------------------------------------------------

    def token(self, user, project=None, password=PW):
        body = {'auth': {'identity': {'methods': ['password'], 'password': {
            'user': {'name': user, 'password': password, 'domain': {'name': 'Default'}}}}}}
        if project:
            body['auth']['scope'] = {'project': {'name': project,
                                                 'domain': {'name': 'Default'}}}
        r = self.call('identity', 'POST', '/v3/auth/tokens', body=body)
        assert r.status == 201, r
        return r.headers['X-Subject-Token']

    def role_id(self, name):
        return self.ok('identity', 'GET', f'/v3/roles?name={name}',
                       self.admin).json['roles'][0]['id']

    def project(self, name):
        return self.ok('identity', 'POST', '/v3/projects', self.admin,
                       {'project': {'name': name}}).json['project']['id']

    def user(self, name, project_id, role='member'):
        uid = self.ok('identity', 'POST', '/v3/users', self.admin,
                      {'user': {'name': name, 'password': PW}}).json['user']['id']
        self.ok('identity', 'PUT',
                f'/v3/projects/{project_id}/users/{uid}/roles/{self.role_id(role)}',
                self.admin)
        return uid


def wait_for(check, timeout=60, what='condition'):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        got = check()
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError(f'{what} not reached within {timeout}s')


def build(conf):
    """The cloud with its principals (``cloud.tokens``) and the victim's
    resources (``cloud.victim``: path parameter name → value)."""
    from iaas.identity import bootstrap
    conf.set_override('transport_url', 'memory://')
    conf.set_override('bcrypt_rounds', 4, group='identity')
    bootstrap.first_start(ADMIN_PW)
    c = Cloud()
    c.admin = c.token('admin', 'admin', password=ADMIN_PW)
    admin_project = c.ok('identity', 'GET', '/v3/projects?name=admin',
                         c.admin).json['projects'][0]['id']

    victim_p = c.project('victim')
    victim_u = c.user('victim', victim_p)
    other_p = c.project('other')
    c.user('other', other_p)
    c.user('vreader', victim_p, role='reader')
    c.user('disabled', victim_p)
    dead_p = c.project('dead')
    c.user('deadmember', dead_p)
    c.user('unscoped', other_p)

    t = c.tokens = {}
    t['victim'] = c.token('victim', 'victim')
    t['other_member'] = c.token('other', 'other')
    t['unscoped'] = c.token('unscoped')
    t['reader'] = c.token('vreader', 'victim')
    t['disabled_user'] = c.token('disabled', 'victim')
    t['disabled_project'] = c.token('deadmember', 'dead')
    t['revoked'] = c.token('victim', 'victim')
    c.victim_project, c.victim_user, c.other_project = victim_p, victim_u, other_p
    v = c.victim = _victim_resources(c, t['victim'], victim_p, victim_u, admin_project)

    # Make the last three principals invalid.
    uid = c.ok('identity', 'GET', '/v3/users?name=disabled', c.admin).json['users'][0]['id']
    c.ok('identity', 'PATCH', f'/v3/users/{uid}', c.admin, {'user': {'enabled': False}})
    c.ok('identity', 'PATCH', f'/v3/projects/{dead_p}', c.admin,
         {'project': {'enabled': False}})
    c.ok('identity', 'DELETE', '/v3/auth/tokens', c.admin,
         headers={'X-Subject-Token': t['revoked']})
    c.victim_ids = {str(x) for k, x in v.items()
                    if k not in GLOBAL_PARAMS | {'compute_service_id', 'external_network_id',
                                                 'member_id', 'period', 'prev_period'}
                    and len(str(x)) >= 6}
    return c


# Path parameters naming things every user may see (or only admins change).
GLOBAL_PARAMS = frozenset({'alias', 'hypervisor_id', 'region_id', 'service_id',
                           'endpoint_id', 'role_id', 'domain_id', 'action', 'hostname',
                           'quota_class_name', 'host_name'})


def _victim_resources(c, vt, project_id, user_id, admin_project):
    v = {'project_id': project_id, 'user_id': user_id, 'target_id': project_id,
         'domain_id': 'default', 'role_id': c.role_id('member'), 'region_id': 'RegionOne'}
    # identity
    svc = c.ok('identity', 'GET', '/v3/services', c.admin).json['services'][0]
    v['service_id'] = svc['id']
    v['endpoint_id'] = c.ok('identity', 'GET', '/v3/endpoints',
                            c.admin).json['endpoints'][0]['id']
    ec2 = c.ok('identity', 'POST', f'/v3/users/{user_id}/credentials/OS-EC2', vt,
               {'tenant_id': project_id}).json['credential']
    v['access'] = ec2['access']
    v['credential_id'] = c.ok('identity', 'POST', '/v3/credentials', vt, {'credential': {
        'type': 'ec2', 'user_id': user_id, 'project_id': project_id,
        'blob': json.dumps({'access': 'victim-blob', 'secret': 's'})}}).json['credential']['id']
    v['application_credential_id'] = c.ok(
        'identity', 'POST', f'/v3/users/{user_id}/application_credentials', vt,
        {'application_credential': {'name': 'victim-app'}}).json['application_credential']['id']
    # image: private, with data, a tag and a member
    img = c.ok('image', 'POST', '/v2/images', vt, {
        'name': 'victim-image', 'disk_format': 'raw', 'container_format': 'bare',
        'visibility': 'shared', 'tags': ['victim-tag']}).json
    _upload(c, vt, img['id'])
    c.ok('image', 'POST', f"/v2/images/{img['id']}/members", vt, {'member': admin_project})
    v.update(image_id=img['id'], tag='victim-tag', member_id=admin_project)
    # compute: a private flavor the victim may use, a keypair, a server group,
    # an ACTIVE server with metadata and an instance action
    flv = c.ok('compute', 'POST', '/v2.1/flavors', c.admin, {'flavor': {
        'name': 'victim-flavor', 'ram': 64, 'vcpus': 1, 'disk': 1,
        'os-flavor-access:is_public': False}}).json['flavor']
    c.ok('compute', 'POST', f"/v2.1/flavors/{flv['id']}/action", c.admin,
         {'addTenantAccess': {'tenant': project_id}})
    v['flavor_id'] = flv['id']
    v['name'] = c.ok('compute', 'POST', '/v2.1/os-keypairs', vt,
                     {'keypair': {'name': 'victim-key'}}).json['keypair']['name']
    v['group_id'] = c.ok('compute', 'POST', '/v2.1/os-server-groups', vt, {
        'server_group': {'name': 'victim-group', 'policies': ['anti-affinity']}}
    ).json['server_group']['id']
    srv = c.ok('compute', 'POST', '/v2.1/servers', vt, {'server': {
        'name': 'victim-server', 'imageRef': img['id'], 'flavorRef': flv['id'],
        'networks': 'none', 'metadata': {'victim-key': 'secret'}}},
        headers={'OpenStack-API-Version': 'compute 2.37'}).json['server']
    v['server_id'] = srv['id']
    show = f"/v2.1/servers/{srv['id']}"
    try:
        wait_for(lambda: c.call('compute', 'GET', show, vt).json['server']['status'] == 'ACTIVE',
                 timeout=int(__import__('os').environ.get('SEC_WAIT', 90)), what='victim server ACTIVE')
    except AssertionError as exc:
        raise AssertionError(f"{exc}: {c.call('compute', 'GET', show, c.admin)!r}") from None
    v['key'] = 'victim-key'
    # a console token of the victim's (serial consoles are off here: any
    # string; the route is admin-only and must refuse before it looks)
    v['console_token'] = 'victim-console-token'
    v['request_id'] = c.ok('compute', 'GET', f"/v2.1/servers/{srv['id']}/os-instance-actions",
                           vt).json['instanceActions'][0]['request_id']
    hyp = c.ok('compute', 'GET', '/v2.1/os-hypervisors', c.admin).json['hypervisors']
    v['hypervisor_id'] = hyp[0]['id']
    svcs = c.ok('compute', 'GET', '/v2.1/os-services', c.admin).json['services']
    v['compute_service_id'] = svcs[0]['id']
    # network: network, subnet, port, security group + rule, floating IP
    net = c.ok('network', 'POST', '/v2.0/networks', vt,
               {'network': {'name': 'victim-net'}}).json['network']
    sub = c.ok('network', 'POST', '/v2.0/subnets', vt, {'subnet': {
        'network_id': net['id'], 'cidr': '10.77.0.0/24', 'ip_version': 4}}).json['subnet']
    sg = c.ok('network', 'POST', '/v2.0/security-groups', vt,
              {'security_group': {'name': 'victim-sg'}}).json['security_group']
    rule = c.ok('network', 'POST', '/v2.0/security-group-rules', vt, {'security_group_rule': {
        'security_group_id': sg['id'], 'direction': 'ingress', 'protocol': 'tcp',
        'port_range_min': 22, 'port_range_max': 22}}).json['security_group_rule']
    port = c.ok('network', 'POST', '/v2.0/ports', vt, {'port': {
        'network_id': net['id'], 'security_groups': [sg['id']]}}).json['port']
    ext = c.ok('network', 'POST', '/v2.0/networks', c.admin, {'network': {
        'name': 'public', 'router:external': True, 'shared': False}}).json['network']
    c.ok('network', 'POST', '/v2.0/subnets', c.admin, {'subnet': {
        'network_id': ext['id'], 'cidr': '198.51.100.0/24', 'ip_version': 4}})
    router = c.ok('network', 'POST', '/v2.0/routers', vt, {'router': {
        'name': 'victim-router',
        'external_gateway_info': {'network_id': ext['id']}}}).json['router']
    c.ok('network', 'PUT', f"/v2.0/routers/{router['id']}/add_router_interface", vt,
         {'subnet_id': sub['id']})
    fip = c.ok('network', 'POST', '/v2.0/floatingips', vt, {'floatingip': {
        'floating_network_id': ext['id'], 'port_id': port['id']}}).json['floatingip']
    v.update(network_id=net['id'], subnet_id=sub['id'], security_group_id=sg['id'],
             rule_id=rule['id'], port_id=port['id'], floatingip_id=fip['id'],
             alias='security-group', external_network_id=ext['id'], router_id=router['id'])
    _victim_volumes(c, vt, v)
    _victim_transfer(c, vt, v)
    _victim_groups(c, vt, v)
    _victim_billing(c, vt, v)
    return v


def _victim_billing(c, vt, v):
    """A budget the victim set, and an issued invoice of last month."""
    from iaas.billing import api as billing_api
    from iaas.billing import clock
    v['period'] = clock.period_of(clock.now())
    v['prev_period'] = clock.previous_period(v['period'])
    c.ok('rating', 'PUT', f"/v1/projects/{v['project_id']}/budget", vt,
         {'budget': {'amount': '123.45', 'enforce': False}})
    v['invoice_id'] = billing_api.invoice_issue(None, v['project_id'], v['prev_period'])['id']


def _victim_volumes(c, vt, v):
    """A volume with metadata and a snapshot, and a private volume type the
    victim's project may use (with an extra spec)."""
    p = f"/v3/{v['project_id']}"
    vol = c.ok('volume', 'POST', f'{p}/volumes', vt, {'volume': {
        'size': 1, 'name': 'victim-volume', 'metadata': {'victim-key': 'secret'}}}
    ).json['volume']
    show = f"{p}/volumes/{vol['id']}"
    wait_for(lambda: c.call('volume', 'GET', show, vt).json['volume']['status'] == 'available',
             what='victim volume available')
    snap = c.ok('volume', 'POST', f'{p}/snapshots', vt, {'snapshot': {
        'volume_id': vol['id'], 'name': 'victim-snapshot'}}).json['snapshot']
    wait_for(lambda: c.call('volume', 'GET', f"{p}/snapshots/{snap['id']}", vt).json[
        'snapshot']['status'] == 'available', what='victim snapshot available')
    vtype = c.ok('volume', 'POST', f"/v3/{v['member_id']}/types", c.admin, {'volume_type': {
        'name': 'victim-type', 'os-volume-type-access:is_public': False,
        'extra_specs': {'victim-key': 'x'}}}).json['volume_type']
    c.ok('volume', 'POST', f"/v3/{v['member_id']}/types/{vtype['id']}/action", c.admin,
         {'addProjectAccess': {'project': v['project_id']}})
    backup = c.ok('volume', 'POST', f'{p}/backups', vt, {'backup': {
        'volume_id': vol['id'], 'name': 'victim-backup'}}).json['backup']
    wait_for(lambda: c.call('volume', 'GET', f"{p}/backups/{backup['id']}", vt).json[
        'backup']['status'] == 'available', what='victim backup available')
    # a second volume reserved by an attachment (Cinder's attachment API, 3.27+)
    vol2 = c.ok('volume', 'POST', f'{p}/volumes', vt, {'volume': {
        'size': 1, 'name': 'victim-attached'}}).json['volume']
    wait_for(lambda: c.call('volume', 'GET', f"{p}/volumes/{vol2['id']}", vt).json[
        'volume']['status'] == 'available', what='victim volume 2 available')
    att = c.ok('volume', 'POST', f'{p}/attachments', vt, {'attachment': {
        'volume_uuid': vol2['id'], 'instance_uuid': v['server_id']}},
        headers={'OpenStack-API-Version': 'volume 3.44'}).json['attachment']
    v.update(volume_id=vol['id'], snapshot_id=snap['id'], type_id=vtype['id'],
             target_project_id=v['project_id'], backup_id=backup['id'],
             attachment_id=att['id'], attached_volume_id=vol2['id'],
             service_action='disable',
             hostname=c.call('volume', 'GET', show, c.admin).json['volume'][
                 'os-vol-host-attr:host'])
    v['volume_host'] = v['hostname'].split('@')[0]
    # a user message: a volume of a type no backend suits ends in error
    ntype = c.ok('volume', 'POST', f"/v3/{v['member_id']}/types", c.admin, {'volume_type': {
        'name': 'victim-nowhere', 'extra_specs': {'storage_protocol': 'none-such'}}}
    ).json['volume_type']
    nowhere = c.ok('volume', 'POST', f'{p}/volumes', vt, {'volume': {
        'size': 1, 'name': 'victim-unplaced', 'volume_type': ntype['id']}}).json['volume']
    mv = {'OpenStack-API-Version': 'volume 3.3'}
    v['message_id'] = wait_for(lambda: next(
        (m['id'] for m in c.call('volume', 'GET', f'{p}/messages', vt, headers=mv).json[
            'messages'] if m['resource_uuid'] == nowhere['id']), None),
        what='victim user message')


def _victim_transfer(c, vt, v):
    """A volume offered for transfer (its key is the victim's only), and the
    default quota class (every project's default quotas, the victim's too)."""
    p = f"/v3/{v['project_id']}"
    vol = c.ok('volume', 'POST', f'{p}/volumes', vt, {'volume': {
        'size': 1, 'name': 'victim-transfer-volume'}}).json['volume']
    wait_for(lambda: c.call('volume', 'GET', f"{p}/volumes/{vol['id']}", vt).json[
        'volume']['status'] == 'available', what='victim transfer volume available')
    t = c.ok('volume', 'POST', f'{p}/os-volume-transfer', vt, {'transfer': {
        'volume_id': vol['id'], 'name': 'victim-transfer'}}).json['transfer']
    v.update(transfer_id=t['id'], transfer_volume_id=vol['id'], quota_class_name='default')


def _victim_groups(c, vt, v):
    """A volume group (of a public group type) with a volume and a group
    snapshot, and a private group type with a group spec."""
    p, mv = f"/v3/{v['project_id']}", {'OpenStack-API-Version': 'volume 3.20'}
    admin_p = f"/v3/{v['member_id']}"
    gtype = c.ok('volume', 'POST', f'{admin_p}/group_types', c.admin, {'group_type': {
        'name': 'victim-group-type', 'is_public': False,
        'group_specs': {'victim-key': 'x'}}}, headers=mv).json['group_type']
    public = c.ok('volume', 'POST', f'{admin_p}/group_types', c.admin, {'group_type': {
        'name': 'victim-public-group-type'}}, headers=mv).json['group_type']
    group = c.ok('volume', 'POST', f'{p}/groups', vt, {'group': {
        'group_type': public['id'], 'volume_types': [v['type_id']], 'name': 'victim-group'}},
        headers=mv).json['group']
    vol = c.ok('volume', 'POST', f'{p}/volumes', vt, {'volume': {
        'size': 1, 'name': 'victim-group-volume', 'volume_type': v['type_id'],
        'group_id': group['id']}}, headers=mv).json['volume']
    wait_for(lambda: c.call('volume', 'GET', f"{p}/volumes/{vol['id']}", vt).json[
        'volume']['status'] == 'available', what='victim group volume available')
    gsnap = c.ok('volume', 'POST', f'{p}/group_snapshots', vt, {'group_snapshot': {
        'group_id': group['id'], 'name': 'victim-group-snapshot'}}, headers=mv).json[
        'group_snapshot']
    wait_for(lambda: c.call('volume', 'GET', f"{p}/group_snapshots/{gsnap['id']}", vt,
                            headers=mv).json['group_snapshot']['status'] == 'available',
             what='victim group snapshot available')
    v.update(group_type_id=gtype['id'], volume_group_id=group['id'],
             group_volume_id=vol['id'], group_snapshot_id=gsnap['id'])
    # QoS specs (admin only) associated with the victim's volume type; the
    # volume host (os-hosts) of the victim's volumes
    qos = c.ok('volume', 'POST', f'{admin_p}/qos-specs', c.admin, {'qos_specs': {
        'name': 'victim-qos', 'victim-key': 'x'}}).json['qos_specs']
    c.ok('volume', 'GET', f"{admin_p}/qos-specs/{qos['id']}/associate?vol_type_id="
         f"{v['type_id']}", c.admin)
    v.update(qos_id=qos['id'], host_name=v['hostname'].split('#')[0])


def _upload(c, token, image_id):
    r = c.call('image', 'PUT', f'/v2/images/{image_id}/file', token, raw=b'victim-bytes' * 100,
               headers={'Content-Type': 'application/octet-stream'})
    assert r.status == 204, r


def unique(prefix):
    return f'{prefix}-{uuid.uuid4().hex[:6]}'
