"""Instances: RunInstances, DescribeInstances, DescribeInstanceStatus,
Start/Stop/Reboot/TerminateInstances, GetConsoleOutput, CreateImage —
over the compute API's own operations, so a server made here is the same
server ``openstack server list`` shows (and the other way round)."""
import base64
import datetime

from iaas import states
from iaas.api import ec2_auth
from iaas.api.ec2 import block_devices, common, errors, resources, tags
from iaas.api.ec2 import instance_views as views
from iaas.api.ec2.actions import action
from iaas.compute import api as compute_api
from iaas.compute import boot_volumes, flavors
from iaas.compute import policies as P
from iaas.conf import CONF
from iaas.ec2 import client_tokens, ids
from iaas.exception import FlavorNotFound, ServiceError

COMPUTE = compute_api.API()
DEFAULT_TYPE = 'm1.small'
FILTERS = {'instance-id', 'image-id', 'instance-state-name', 'instance-state-code',
           'instance-type', 'key-name', 'availability-zone', 'reservation-id', 'owner-id',
           'private-ip-address', 'ip-address', 'private-dns-name', 'dns-name', 'launch-time',
           'client-token', 'root-device-type', 'architecture', 'ami-launch-index', 'group-id',
           'group-name', 'instance.group-id', 'instance.group-name',
           'block-device-mapping.volume-id', 'tag:*', 'tag-key', 'tag-value'}


def _owned(ctx, uuids):
    if not uuids:
        return set()
    return {r['uuid'] for r in COMPUTE.list(ctx, filters={'uuids': list(uuids)})}


resources.register('instance', 'instance', 'InvalidInstanceID.NotFound', _owned)


def _instances(ctx, uuids=None):
    """The project's instances, and those terminated within ``[ec2]
    terminated_visible`` seconds (EC2 shows them for a while); one query."""
    f = {'uuids': list(uuids)} if uuids is not None else {}
    if CONF.ec2.terminated_visible:
        f['or_deleted_since'] = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - \
            datetime.timedelta(seconds=CONF.ec2.terminated_visible)
    return COMPUTE.list(ctx, filters=f)


def _resolve(ctx, wanted, include_terminated=True, rows_out=None):
    """{ec2 id: uuid} of the caller's instances named; NotFound/Malformed.
    ``rows_out`` (a dict) receives the instances read, by uuid."""
    bad = [i for i in wanted if not ids.well_formed('instance', i)]
    if bad:
        raise errors.EC2Error('InvalidInstanceID.Malformed',
                              f'Invalid id: "{bad[0][:64]}"')
    found = ids.to_uuid('instance', wanted)
    rows = {r['uuid']: r for r in (
        _instances(ctx, list(found.values())) if include_terminated
        else COMPUTE.list(ctx, filters={'uuids': list(found.values())}))}
    missing = [i for i in wanted if found.get(i) not in rows]
    if missing:
        raise errors.not_found('InvalidInstanceID.NotFound', missing)
    if rows_out is not None:
        rows_out.update(rows)
    return {i: found[i] for i in wanted}


def _compute_error(exc):
    """An EC2 error for a compute API refusal."""
    msg = str(exc)
    if exc.code == 404:
        return errors.EC2Error('InvalidInstanceID.NotFound', msg)
    if exc.code == 409:
        return errors.incorrect_state(msg)
    if exc.code == 403 and 'uota' in msg:
        return errors.EC2Error('InstanceLimitExceeded', msg)
    if exc.code == 403:
        return errors.unauthorized(msg)
    if exc.code >= 500:
        return errors.EC2Error('Unavailable', msg, 503)
    return errors.invalid(msg)


# -- RunInstances -----------------------------------------------------------------------
def flavor_named(ctx, name):
    """The flavor of an instance type: one of those DescribeInstanceTypes
    shows (public, or private and shared with the project)."""
    try:
        return flavors.get_by_name(name, ctx.project_id, include_private=False)
    except FlavorNotFound:
        raise errors.invalid(f"Invalid value '{name[:64]}' for InstanceType.") from None


def _image_uuid(image_id):
    if not ids.well_formed('image', image_id):
        raise errors.EC2Error('InvalidAMIID.Malformed', f'Invalid id: "{image_id[:64]}"')
    found = ids.to_uuid('image', [image_id])
    if image_id not in found:
        raise errors.not_found('InvalidAMIID.NotFound', image_id)
    return found[image_id]


def _security_groups(ctx, p):
    out = [{'name': g} for g in p.list('SecurityGroup')]
    wanted = p.list('SecurityGroupId', max_len=64)
    if wanted:
        # the compute API checks each group is the caller's project's
        found = ids.to_uuid('security_group', wanted)
        bad = [w for w in wanted if w not in found]
        if bad:
            raise errors.not_found('InvalidGroup.NotFound', bad)
        out += [{'name': found[w]} for w in wanted]
    return out or None


def _bdms(ctx, p, image_uuid):
    """Nova block_device_mapping_v2 of ``BlockDeviceMapping.N``: the root
    device with an Ebs size boots from a new volume of the image."""
    out = []
    for m in block_devices.ebs_mappings(p):
        root = m.device in (views.ROOT_DEVICE, '/dev/sda1', '/dev/xvda', '/dev/sda')
        entry = {'destination_type': 'volume', 'delete_on_termination': m.delete_on_termination,
                 'device_name': m.device, 'boot_index': 0 if root else None}
        if m.snapshot_id:
            found = resources.resolve(ctx, [m.snapshot_id]).get('snapshot', {})
            entry.update(source_type='snapshot', uuid=found[m.snapshot_id])
        elif root:
            entry.update(source_type='image', uuid=image_uuid)
        else:
            entry.update(source_type='blank')
        if m.size:
            entry['volume_size'] = m.size
        elif entry['source_type'] in ('image', 'blank'):
            raise errors.missing(f'BlockDeviceMapping Ebs.VolumeSize of {m.device}')
        out.append(entry)
    try:
        return boot_volumes.parse_bdms(out)
    except ServiceError as exc:
        raise errors.invalid(str(exc)) from None


def _by_client_token(ctx, token):
    """The instances an earlier RunInstances with ``token`` (token, digest)
    made; None when there was none, [] when they are gone (the token is
    free again)."""
    try:
        uuids = client_tokens.earlier(ctx.project_id, *token)
    except client_tokens.Mismatch:
        raise errors.EC2Error('IdempotentParameterMismatch', 'The client token was used '
                              'with other parameters.') from None
    except client_tokens.InProgress:
        raise errors.EC2Error('IdempotentInstanceTokenInUse', 'A request with this '
                              'client token is still in progress.') from None
    if uuids is None:
        return None
    rows = _instances(ctx, uuids)
    if not rows:
        client_tokens.forget(ctx.project_id, token[0])
    return rows


def _run_response(ctx, rows, fresh_tags=None):
    vctx = views.Context(ctx.project_id, rows, fresh_tags)
    res = views.reservations(vctx, sorted(rows, key=lambda r: r.get('launch_index') or 0))
    return res[0] if res else {}


@action('RunInstances', P.SERVERS_CREATE, write=True)
def run_instances(ctx, p):
    image_id = p.str('ImageId', required=True, max_len=64)
    min_count = p.int('MinCount', required=True, low=1)
    max_count = p.int('MaxCount', required=True, low=1)
    if min_count > max_count:
        raise errors.invalid('MinCount may not be more than MaxCount.')
    token = p.str('ClientToken', max_len=64)
    token = (token, client_tokens.digest(p.tree)) if token else None
    # The token is recorded with the instances, in their transaction, and
    # looked up only when this request cannot make them: it is a repeat
    # (refused by then, or Taken: a concurrent twin made them first).
    for _attempt in range(2):
        try:
            return _run(ctx, p, image_id, min_count, max_count, token)
        except (errors.EC2Error, client_tokens.Taken):
            again = _by_client_token(ctx, token) if token else None
            if again is None:
                raise
            if again:
                return _run_response(ctx, again)
    raise errors.EC2Error('IdempotentInstanceTokenInUse', 'A request with this client '
                          'token is still in progress.')


def _run(ctx, p, image_id, min_count, max_count, token):
    image_uuid = _image_uuid(image_id)
    flavor = flavor_named(ctx, p.str('InstanceType', default=DEFAULT_TYPE, max_len=64))
    user_data = p.str('UserData', max_len=params_max_user_data())
    if user_data is not None:
        try:
            base64.b64decode(user_data, validate=True)
        except ValueError:
            raise errors.invalid('Invalid BASE64 encoding of user data.') from None
    zone = p.struct('Placement').str('AvailabilityZone', max_len=255) or None
    instance_tags = tags.specs_of(p, ('instance', 'volume'))
    bdms = _bdms(ctx, p, image_uuid)
    try:
        created, _rid = COMPUTE.create(
            ctx, p.str('InstanceName', default='') or 'ec2-instance', image_uuid, flavor,
            key_name=p.str('KeyName'), user_data=user_data, availability_zone=zone,
            min_count=min_count, max_count=max_count,
            # EC2 without a subnet: the project's network (none: no NIC). Not
            # None, which the compute host reads as "no network at all".
            networks='auto',
            security_groups=_security_groups(ctx, p), block_devices=bdms, client_token=token)
    except ServiceError as exc:
        msg = str(exc)
        if 'key_name' in msg:
            raise errors.EC2Error('InvalidKeyPair.NotFound',
                                  f"The key pair '{p.str('KeyName')}' does not exist") from None
        if 'Image' in msg and 'could not be found' in msg:
            raise errors.not_found('InvalidAMIID.NotFound', image_id) from None
        if 'security_group' in msg:
            raise errors.EC2Error('InvalidGroup.NotFound', msg) from None
        if 'availability zone' in msg:
            raise errors.EC2Error('InvalidParameterValue', msg) from None
        raise _compute_error(exc) from None
    uuids = [r['uuid'] for r in created]
    tags.apply(ctx, 'instance', uuids, instance_tags.get('instance'))
    return _run_response(ctx, [dict(r, volumes_attached=[]) for r in created],
                         fresh_tags=instance_tags.get('instance') or {})


def params_max_user_data():
    return 4 * (16 * 1024 // 3 + 1)       # EC2: 16 KiB of user data, base64


# -- DescribeInstances / DescribeInstanceStatus ------------------------------------------
def _described(ctx, p, filters):
    wanted = p.list('InstanceId', max_len=64)
    if wanted:
        read = {}
        _resolve(ctx, wanted, rows_out=read)
        rows = list(read.values())
    else:
        rows = _instances(ctx)
    vctx = views.Context(ctx.project_id, rows)
    out = []
    for r in rows:
        view = views.item(vctx, r)
        if not filters or common.matches(filters, views.filter_fields(vctx, r, view)):
            out.append((r, view))
    return vctx, out


@action('DescribeInstances', P.SERVERS_DETAIL, write=False)
def describe_instances(ctx, p):
    vctx, found = _described(ctx, p, p.filters(FILTERS))
    shown, token = common.page(p, found, key=lambda rv: rv[1]['instanceId'])
    by_res = {}
    order = []
    for r, view in shown:
        rid = r.get('reservation_id') or 'r-00000000'
        if rid not in by_res:
            by_res[rid] = {'reservationId': rid, 'ownerId': r['project_id'], 'groupSet': [],
                           'instancesSet': []}
            order.append(rid)
        by_res[rid]['instancesSet'].append(view)
    return {'reservationSet': [by_res[rid] for rid in order], 'nextToken': token}


STATUS_FILTERS = {'availability-zone', 'instance-state-name', 'instance-state-code',
                  'instance-status.status', 'system-status.status',
                  'instance-status.reachability', 'system-status.reachability'}


@action('DescribeInstanceStatus', P.SERVERS_DETAIL, write=False)
def describe_instance_status(ctx, p):
    f = p.filters(STATUS_FILTERS)
    every = p.bool('IncludeAllInstances')
    _vctx, found = _described(ctx, p, {})
    out = []
    for _r, view in found:
        st = view['instanceState']
        running = st['name'] == 'running'
        if not every and not running:
            continue
        health = 'ok' if running else 'not-applicable'
        check = 'passed' if running else None
        status = {'status': health, 'details': [{'name': 'reachability', 'status': check}]
                  if check else []}
        item = {'instanceId': view['instanceId'],
                'availabilityZone': view['placement']['availabilityZone'],
                'instanceState': st, 'systemStatus': status, 'instanceStatus': status}
        fields = {'availability-zone': item['availabilityZone'],
                  'instance-state-name': st['name'], 'instance-state-code': str(st['code']),
                  'instance-status.status': health, 'system-status.status': health,
                  'instance-status.reachability': check, 'system-status.reachability': check}
        if common.matches(f, fields):
            out.append(item)
    shown, token = common.page(p, out, key=lambda i: i['instanceId'])
    return {'instanceStatusSet': shown, 'nextToken': token}


# -- state changes ---------------------------------------------------------------------------
def _changes(ctx, p, change):
    """Apply ``change(uuid, instance, previous state) -> current state`` to
    every ``InstanceId.N`` (all resolved first: one unknown id changes
    nothing)."""
    wanted = p.list('InstanceId', max_len=64)
    if not wanted:
        raise errors.missing('InstanceId')
    rows = {}
    resolved = _resolve(ctx, wanted, rows_out=rows)
    out = []
    for ec2_id, uuid in resolved.items():
        before = rows[uuid]
        prev = views.state(before)
        try:
            current = change(uuid, before, prev)
        except ServiceError as exc:
            raise _compute_error(exc) from None
        out.append({'instanceId': ec2_id, 'previousState': views.state_view(prev),
                    'currentState': views.state_view(current)})
    return {'instancesSet': out}


@action('StopInstances', P.ACTION_RULES['os-stop'], write=True)
def stop_instances(ctx, p):
    p.bool('Force')

    def stop(uuid, inst, prev):
        if prev in (views.STOPPED, views.STOPPING):
            return prev
        if prev != views.RUNNING:
            raise errors.incorrect_state(f"This instance '{ids.one('instance', uuid)}' is "
                                         'not in a state from which it can be stopped.')
        COMPUTE.action(ctx, uuid, 'stop')
        return views.STOPPING
    return _changes(ctx, p, stop)


def pending_type_change(inst):
    """A finished type change of a stopped instance (ModifyInstanceAttribute)
    not confirmed yet."""
    return inst['vm_state'] == states.RESIZED and inst['task_state'] is None and \
        (inst.get('system_metadata') or {}).get('old_vm_state') == states.STOPPED


def confirm_stopped(ctx, uuid):
    """Confirm the finished type change of a stopped instance."""
    try:
        COMPUTE.confirm_resize(ctx, uuid)
    except ServiceError as exc:
        if exc.code != 409:                     # confirmed meanwhile by another call
            raise _compute_error(exc) from None


@action('StartInstances', P.ACTION_RULES['os-start'], write=True)
def start_instances(ctx, p):
    def start(uuid, inst, prev):
        if prev in (views.RUNNING, views.PENDING):
            return prev
        if prev == views.STOPPED and pending_type_change(inst):
            confirm_stopped(ctx, uuid)
            inst = COMPUTE.get(ctx, uuid)
        if prev != views.STOPPED or inst['vm_state'] != states.STOPPED:
            raise errors.incorrect_state(f"This instance '{ids.one('instance', uuid)}' is "
                                         'not in a state from which it can be started.')
        COMPUTE.action(ctx, uuid, 'start')
        return views.PENDING
    return _changes(ctx, p, start)


@action('RebootInstances', P.ACTION_RULES['reboot'], write=True)
def reboot_instances(ctx, p):
    def reboot(uuid, inst, prev):
        if prev != views.RUNNING:
            raise errors.incorrect_state(f"This instance '{ids.one('instance', uuid)}' is "
                                         'not running.')
        COMPUTE.reboot(ctx, uuid, 'SOFT')
        return prev
    _changes(ctx, p, reboot)
    return {'return': True}


@action('TerminateInstances', P.SERVERS_DELETE, write=True)
def terminate_instances(ctx, p):
    def terminate(uuid, inst, prev):
        if prev == views.TERMINATED:
            return prev
        COMPUTE.delete(ctx, uuid)
        return views.SHUTTING_DOWN
    return _changes(ctx, p, terminate)


@action('GetConsoleOutput', P.ACTION_RULES['os-getConsoleOutput'], write=False)
def get_console_output(ctx, p):
    ec2_id = p.str('InstanceId', required=True, max_len=64)
    uuid = _resolve(ctx, [ec2_id], include_terminated=False)[ec2_id]
    try:
        text = COMPUTE.console_output(ctx, uuid) or ''
    except ServiceError as exc:
        if exc.code != 409:
            raise _compute_error(exc) from None
        text = ''                           # not on a host yet: EC2 answers no output
    if isinstance(text, str):
        text = text.encode('utf-8', 'replace')
    return {'instanceId': ec2_id,
            'timestamp': datetime.datetime.now(datetime.UTC).replace(tzinfo=None),
            'output': base64.b64encode(text[-64 * 1024:]).decode()}


@action('CreateImage', P.ACTION_RULES['createImage'], write=True)
def create_image(ctx, p):
    ec2_id = p.str('InstanceId', required=True, max_len=64)
    name = p.str('Name', required=True, max_len=128)
    description = p.str('Description', max_len=255)
    p.bool('NoReboot')
    image_tags = tags.specs_of(p, ('image', 'snapshot'))
    uuid = _resolve(ctx, [ec2_id], include_terminated=False)[ec2_id]
    # the image record is made over HTTP as the user: the one EC2 action that
    # needs a token (issued here, not for every request)
    ctx.auth_token = ec2_auth.on_behalf_token(ctx)
    try:
        image_uuid = COMPUTE.snapshot(ctx, uuid, name, {'description': description}
                                      if description else None)
    except ServiceError as exc:
        raise _compute_error(exc) from None
    tags.apply(ctx, 'image', [image_uuid], image_tags.get('image'))
    return {'imageId': ids.one('image', image_uuid)}
