"""Volumes and snapshots: CreateVolume, DescribeVolumes, DeleteVolume,
AttachVolume, DetachVolume, CreateSnapshot, DescribeSnapshots,
DeleteSnapshot -- the project's volumes of the volume service (the same
ones ``openstack volume list`` shows), attached through the compute API's
volume attachments (as ``openstack server add volume``).

Cinder's statuses become EC2's: a volume is creating, available, in-use,
deleting, deleted or error; an attachment attaching, attached, detaching
or detached; a snapshot pending, completed or error.
"""
from iaas.api.ec2 import common, errors, resources, tags, xmlresp
from iaas.api.ec2.actions import action
from iaas.compute import api as compute_api
from iaas.compute import policies as CP
from iaas.compute.volumes import VolumeAttachments
from iaas.ec2 import ids
from iaas.exception import (
    ServiceError,
    SnapshotNotFound,
    VolumeNotFound,
    VolumeQuotaExceeded,
    VolumeTypeNotFound,
)
from iaas.volume import api as volume_api
from iaas.volume import policies as P

VOLUMES = volume_api.API()
ATTACHMENTS = VolumeAttachments(compute_api.API())
VOLUME_NOT_FOUND = 'InvalidVolume.NotFound'
SNAPSHOT_NOT_FOUND = 'InvalidSnapshot.NotFound'
MALFORMED = {VOLUME_NOT_FOUND: 'InvalidVolumeID.Malformed',
             SNAPSHOT_NOT_FOUND: 'InvalidSnapshotID.Malformed'}
MAX_SIZE = 16384

VOLUME_STATES = {'creating': 'creating', 'available': 'available', 'reserved': 'in-use',
                 'attaching': 'in-use', 'in-use': 'in-use', 'detaching': 'in-use',
                 'deleting': 'deleting', 'deleted': 'deleted', 'error': 'error',
                 'error_deleting': 'error', 'error_extending': 'error',
                 'error_restoring': 'error'}
ATTACH_STATES = {'reserved': 'attaching', 'attaching': 'attaching', 'attached': 'attached',
                 'detaching': 'detaching', 'detached': 'detached'}
SNAPSHOT_STATES = {'creating': 'pending', 'available': 'completed', 'deleting': 'completed',
                   'error': 'error', 'error_deleting': 'error'}
VOLUME_FILTERS = {'volume-id', 'status', 'size', 'availability-zone', 'create-time',
                  'snapshot-id', 'volume-type', 'encrypted', 'multi-attach-enabled',
                  'attachment.instance-id', 'attachment.status', 'attachment.device',
                  'attachment.attach-time', 'attachment.delete-on-termination',
                  'tag:*', 'tag-key', 'tag-value'}
SNAPSHOT_FILTERS = {'snapshot-id', 'volume-id', 'status', 'owner-id', 'description',
                    'progress', 'start-time', 'volume-size', 'encrypted', 'tag:*', 'tag-key',
                    'tag-value'}


def _volume_owned(ctx, uuids):
    return {v['uuid'] for v in VOLUMES.list(ctx)} & set(uuids) if uuids else set()


def _snapshot_owned(ctx, uuids):
    return {s['uuid'] for s in VOLUMES.list_snapshots(ctx)} & set(uuids) if uuids else set()


resources.register('volume', 'volume', VOLUME_NOT_FOUND, _volume_owned)
resources.register('snapshot', 'snapshot', SNAPSHOT_NOT_FOUND, _snapshot_owned)


def _error(exc):
    """An EC2 error for a refusal of the volume service."""
    msg = str(exc)
    if isinstance(exc, SnapshotNotFound):
        return errors.EC2Error(SNAPSHOT_NOT_FOUND, msg)
    if isinstance(exc, VolumeNotFound):
        return errors.EC2Error(VOLUME_NOT_FOUND, msg)
    if isinstance(exc, VolumeQuotaExceeded):
        return errors.EC2Error('VolumeLimitExceeded', msg)
    if exc.code == 403:
        return errors.unauthorized(msg)
    if msg.startswith('Invalid input received'):
        return errors.invalid(msg)
    if exc.code >= 500:
        return errors.EC2Error('Unavailable', msg, 503)
    return errors.EC2Error('IncorrectState', msg)


def _uuid(kind, ec2_id, code):
    """The uuid of the caller's volume or snapshot ``ec2_id``: Malformed or
    NotFound otherwise (another project's is not found)."""
    if not ids.well_formed(kind, ec2_id):
        raise errors.EC2Error(MALFORMED[code],
                              f'Invalid id: "{ec2_id[:64]}"')
    uuid = ids.to_uuid(kind, [ec2_id]).get(ec2_id)
    if uuid is None:
        raise errors.not_found(code, ec2_id)
    return uuid


def _volume(ctx, ec2_id, rule=P.VOLUME_GET):
    try:
        return VOLUMES.get(ctx, _uuid('volume', ec2_id, VOLUME_NOT_FOUND), rule)
    except VolumeNotFound:
        raise errors.not_found(VOLUME_NOT_FOUND, ec2_id) from None
    except ServiceError as exc:
        raise _error(exc) from None


def _snapshot(ctx, ec2_id, rule=P.SNAPSHOT_GET):
    try:
        return VOLUMES.get_snapshot(ctx, _uuid('snapshot', ec2_id, SNAPSHOT_NOT_FOUND), rule)
    except VolumeNotFound:
        raise errors.not_found(SNAPSHOT_NOT_FOUND, ec2_id) from None
    except ServiceError as exc:
        raise _error(exc) from None


def _selected(wanted, rows, kind, code):
    """``rows`` named by ``wanted`` (ec2 ids; all of them, or NotFound)."""
    if not wanted:
        return rows
    bad = [i for i in wanted if not ids.well_formed(kind, i)]
    if bad:
        raise errors.EC2Error(MALFORMED[code],
                              f'Invalid id: "{bad[0][:64]}"')
    found = ids.to_uuid(kind, wanted)
    have = {r['uuid'] for r in rows}
    missing = [i for i in wanted if found.get(i) not in have]
    if missing:
        raise errors.not_found(code, missing)
    picked = set(found.values())
    return [r for r in rows if r['uuid'] in picked]


# -- views ------------------------------------------------------------------------------------
def _attachment(vol_ec2, a, instance_ec2):
    return {'volumeId': vol_ec2, 'instanceId': instance_ec2, 'device': a['mountpoint'],
            'status': ATTACH_STATES.get(a['attach_status'], 'attaching'),
            'attachTime': a.get('attach_time') or a.get('created_at'),
            'deleteOnTermination': bool(a.get('delete_on_termination'))}


def _volume_state(v, attachments):
    state = VOLUME_STATES.get(v['status'])
    if state is None:          # extending, uploading, backing-up, awaiting-transfer …
        state = 'in-use' if attachments else 'available'
    return state


def _volume_items(rows):
    """[(item, filter fields)] of volume rows, in four queries."""
    uuids = [v['uuid'] for v in rows]
    atts = VOLUMES.attachments_of(uuids)
    types = VOLUMES.types_by_id()
    vol_ids = ids.to_ec2('volume', uuids)
    snap_ids = ids.to_ec2('snapshot', [v['snapshot_id'] for v in rows if v['snapshot_id']])
    inst_ids = ids.to_ec2('instance', sorted({a['instance_uuid'] for x in atts.values()
                                             for a in x if a['instance_uuid']}))
    tag_sets = tags.tag_sets('volume', uuids)
    out = []
    for v in rows:
        vid, tagged = vol_ids[v['uuid']], tag_sets.get(v['uuid'], {})
        attached = [_attachment(vid, a, inst_ids.get(a['instance_uuid']))
                    for a in atts.get(v['uuid'], ())]
        vtype = types.get(v['volume_type_id'])
        item = {'volumeId': vid, 'size': v['size'],
                'snapshotId': snap_ids.get(v['snapshot_id'], ''),
                'availabilityZone': v['availability_zone'],
                'status': _volume_state(v, attached), 'createTime': v['created_at'],
                'attachmentSet': attached, 'volumeType': vtype['name'] if vtype else 'standard',
                'encrypted': False, 'multiAttachEnabled': bool(v['multiattach']),
                'tagSet': tags.view(tagged)}
        fields = {'volume-id': vid, 'status': item['status'], 'size': v['size'],
                  'availability-zone': item['availabilityZone'],
                  'create-time': xmlresp.timestamp(v['created_at']), 'snapshot-id': item['snapshotId'],
                  'volume-type': item['volumeType'], 'encrypted': False,
                  'multi-attach-enabled': item['multiAttachEnabled'],
                  'attachment.instance-id': [a['instanceId'] for a in attached],
                  'attachment.status': [a['status'] for a in attached],
                  'attachment.device': [a['device'] for a in attached],
                  'attachment.attach-time': [xmlresp.timestamp(a['attachTime']) for a in attached],
                  'attachment.delete-on-termination': [a['deleteOnTermination']
                                                       for a in attached],
                  **common.tag_fields(tagged)}
        out.append((item, fields))
    return out


def _snapshot_items(rows):
    uuids = [s['uuid'] for s in rows]
    snap_ids = ids.to_ec2('snapshot', uuids)
    vol_ids = ids.to_ec2('volume', [s['volume_id'] for s in rows])
    tag_sets = tags.tag_sets('snapshot', uuids)
    out = []
    for s in rows:
        sid, tagged = snap_ids[s['uuid']], tag_sets.get(s['uuid'], {})
        state = SNAPSHOT_STATES.get(s['status'], 'error')
        progress = s.get('progress') or ('100%' if state == 'completed' else '0%')
        item = {'snapshotId': sid, 'volumeId': vol_ids[s['volume_id']], 'status': state,
                'startTime': s['created_at'], 'progress': progress,
                'ownerId': s['project_id'], 'volumeSize': s['volume_size'],
                'description': s['display_description'] or '', 'encrypted': False,
                'tagSet': tags.view(tagged)}
        fields = {'snapshot-id': sid, 'volume-id': item['volumeId'], 'status': state,
                  'owner-id': s['project_id'], 'description': item['description'],
                  'progress': progress, 'start-time': xmlresp.timestamp(s['created_at']),
                  'volume-size': s['volume_size'], 'encrypted': False,
                  **common.tag_fields(tagged)}
        out.append((item, fields))
    return out


def _volume_view(vol):
    return _volume_items([vol])[0][0]


# -- volumes ---------------------------------------------------------------------------------
def _type_name(ctx, name):
    """The volume type named (EC2's gp2, io1 … when this cloud has one by
    that name), else the default type (None)."""
    if not name:
        return None
    try:
        return VOLUMES.volume_type(ctx, name)['name']
    except VolumeTypeNotFound:
        return None


@action('CreateVolume', P.VOLUME_CREATE, write=True)
def create_volume(ctx, p):
    size = p.int('Size', low=1, high=MAX_SIZE)
    snap_id = p.str('SnapshotId', max_len=64)
    zone = p.str('AvailabilityZone', max_len=255)
    vtype = _type_name(ctx, p.str('VolumeType', max_len=64))
    if p.bool('Encrypted') or p.str('KmsKeyId') is not None:
        raise errors.invalid('Encrypted volumes are not supported.')
    for ignored in ('Iops', 'Throughput'):
        p.int(ignored, low=0)
    multiattach = p.bool('MultiAttachEnabled')
    tag_specs = tags.specs(p, 'volume')
    if size is None and snap_id is None:
        raise errors.missing('Size')
    snap = _snapshot(ctx, snap_id) if snap_id else None
    try:
        vol = VOLUMES.create(ctx, size=size, name=tag_specs.get('Name'), volume_type=vtype,
                             availability_zone=zone, snapshot_id=snap and snap['uuid'],
                             multiattach=multiattach)
    except ServiceError as exc:
        raise _error(exc) from None
    tags.apply(ctx, 'volume', [vol['uuid']], tag_specs)
    return _volume_view(vol)


@action('DescribeVolumes', P.VOLUME_GET_ALL, write=False)
def describe_volumes(ctx, p):
    f = p.filters(VOLUME_FILTERS)
    rows = _selected(p.list('VolumeId', max_len=64), VOLUMES.list(ctx), 'volume',
                     VOLUME_NOT_FOUND)
    found = [item for item, fields in _volume_items(rows) if common.matches(f, fields)]
    shown, token = common.page(p, found, key=lambda v: v['volumeId'])
    return {'volumeSet': shown, 'nextToken': token}


@action('DeleteVolume', P.VOLUME_DELETE, write=True)
def delete_volume(ctx, p):
    ec2_id = p.str('VolumeId', required=True, max_len=64)
    vol = _volume(ctx, ec2_id, P.VOLUME_DELETE)
    if VOLUMES.attachments_of([vol['uuid']])[vol['uuid']] or vol['attach_status'] == 'attached':
        raise errors.EC2Error('VolumeInUse', f'Volume {ec2_id} is currently attached.')
    try:
        VOLUMES.delete(ctx, vol['uuid'])
    except ServiceError as exc:
        raise _error(exc) from None
    tags.forget('volume', [vol['uuid']])
    return {'return': True}


def _instance_uuid(ec2_id):
    if not ids.well_formed('instance', ec2_id):
        raise errors.EC2Error('InvalidInstanceID.Malformed', f'Invalid id: "{ec2_id[:64]}"')
    uuid = ids.to_uuid('instance', [ec2_id]).get(ec2_id)
    if uuid is None:
        raise errors.not_found('InvalidInstanceID.NotFound', ec2_id)
    return uuid


def _attach_error(exc, volume_id, instance_id):
    """An EC2 error for a refusal of the compute API's volume attachments."""
    msg = str(exc)
    if exc.code == 404:
        if msg.startswith('Volume') and 'not attached' not in msg:
            return errors.not_found(VOLUME_NOT_FOUND, volume_id)
        if 'not attached' in msg:
            return errors.EC2Error('IncorrectState', msg)
        return errors.not_found('InvalidInstanceID.NotFound', instance_id)
    if exc.code == 409:
        return errors.incorrect_state(msg)
    if 'already attached' in msg:
        return errors.EC2Error('VolumeInUse', msg)
    return _error(exc)


@action('AttachVolume', CP.VOLUME_ATTACH_CREATE, write=True)
def attach_volume(ctx, p):
    vol_ec2 = p.str('VolumeId', required=True, max_len=64)
    inst_ec2 = p.str('InstanceId', required=True, max_len=64)
    device = p.str('Device', required=True, max_len=64)
    vol = _volume(ctx, vol_ec2)
    server = _instance_uuid(inst_ec2)
    try:
        att = ATTACHMENTS.attach(ctx, server, vol['uuid'], device)
    except ServiceError as exc:
        raise _attach_error(exc, vol_ec2, inst_ec2) from None
    return dict(_attachment(vol_ec2, att, inst_ec2), device=device, status='attaching')


@action('DetachVolume', CP.VOLUME_ATTACH_DELETE, write=True)
def detach_volume(ctx, p):
    vol_ec2 = p.str('VolumeId', required=True, max_len=64)
    inst_ec2 = p.str('InstanceId', max_len=64)
    p.str('Device', max_len=64)        # the attachment is the volume's on that instance
    p.bool('Force')
    vol = _volume(ctx, vol_ec2)
    server = _instance_uuid(inst_ec2) if inst_ec2 else None
    atts = [a for a in VOLUMES.attachments_of([vol['uuid']])[vol['uuid']]
            if server in (None, a['instance_uuid'])]
    if not atts:
        raise errors.EC2Error('IncorrectState', f"Volume '{vol_ec2}' is not attached"
                              + (f" to instance '{inst_ec2}'." if inst_ec2 else '.'))
    att = atts[0]
    inst_ec2 = inst_ec2 or ids.one('instance', att['instance_uuid'])
    try:
        ATTACHMENTS.detach(ctx, att['instance_uuid'], vol['uuid'])
    except ServiceError as exc:
        raise _attach_error(exc, vol_ec2, inst_ec2) from None
    return dict(_attachment(vol_ec2, att, inst_ec2), status='detaching')


# -- snapshots ------------------------------------------------------------------------------
@action('CreateSnapshot', P.SNAPSHOT_CREATE, write=True)
def create_snapshot(ctx, p):
    ec2_id = p.str('VolumeId', required=True, max_len=64)
    description = p.str('Description', max_len=255)
    tag_specs = tags.specs(p, 'snapshot')
    vol = _volume(ctx, ec2_id, P.SNAPSHOT_CREATE)
    try:
        snap = VOLUMES.create_snapshot(ctx, vol['uuid'], name=tag_specs.get('Name'),
                                       description=description, force=True)
    except ServiceError as exc:
        raise _error(exc) from None
    tags.apply(ctx, 'snapshot', [snap['uuid']], tag_specs)
    return _snapshot_items([snap])[0][0]


@action('DescribeSnapshots', P.SNAPSHOT_GET_ALL, write=False)
def describe_snapshots(ctx, p):
    f = p.filters(SNAPSHOT_FILTERS)
    owners = {ctx.project_id if o == 'self' else o for o in p.list('Owner')}
    p.list('RestorableBy')
    rows = _selected(p.list('SnapshotId', max_len=64), VOLUMES.list_snapshots(ctx),
                     'snapshot', SNAPSHOT_NOT_FOUND)
    if owners:
        rows = [s for s in rows if s['project_id'] in owners]
    found = [item for item, fields in _snapshot_items(rows) if common.matches(f, fields)]
    shown, token = common.page(p, found, key=lambda s: s['snapshotId'])
    return {'snapshotSet': shown, 'nextToken': token}


@action('DeleteSnapshot', P.SNAPSHOT_DELETE, write=True)
def delete_snapshot(ctx, p):
    ec2_id = p.str('SnapshotId', required=True, max_len=64)
    snap = _snapshot(ctx, ec2_id, P.SNAPSHOT_DELETE)
    try:
        VOLUMES.delete_snapshot(ctx, snap['uuid'])
    except ServiceError as exc:
        raise _error(exc) from None
    tags.forget('snapshot', [snap['uuid']])
    return {'return': True}
