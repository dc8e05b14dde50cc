"""DescribeImages, DeregisterImage, DescribeImageAttribute,
ModifyImageAttribute: the images of the image service (the same ones
``openstack image list`` shows), seen with its rules
(:mod:`iaas.image.access`): a project sees its own images, public and
community ones, and those shared with it; it changes only its own.

EC2's launch permissions are the image's visibility (``Group=all``:
public, which Glance's ``publicize_image`` rule keeps for admins) and its
members (``UserId``: a project id, as EC2's account id is the project).
"""
import json

from iaas.api.ec2 import common, errors, resources, tags
from iaas.api.ec2.actions import action
from iaas.ec2 import ids
from iaas.exception import ImageNotFound, MemberExists, MemberNotFound
from iaas.image import access
from iaas.image import api as images

NOT_FOUND = 'InvalidAMIID.NotFound'
ROOT_DEVICE = '/dev/sda1'
# Glance statuses → EC2 image states
STATES = {'queued': 'pending', 'saving': 'pending', 'active': 'available',
          'deactivated': 'disabled', 'killed': 'failed', 'deleted': 'deregistered',
          'pending_delete': 'deregistered'}
IMAGE_TYPES = {'aki': 'kernel', 'ari': 'ramdisk'}
FILTERS = {'image-id', 'name', 'state', 'owner-id', 'is-public', 'architecture',
           'image-type', 'root-device-type', 'root-device-name', 'description',
           'platform', 'virtualization-type', 'block-device-mapping.snapshot-id',
           'block-device-mapping.device-name', 'tag:*', 'tag-key', 'tag-value'}
ATTRIBUTES = ('description', 'launchPermission', 'blockDeviceMapping', 'kernel', 'ramdisk',
              'productCodes')


# -- lookups ----------------------------------------------------------------------------
def _visible(ctx):
    """Every image the caller sees: its own, public and community ones, and
    those shared with it (accepted or pending, not rejected)."""
    rows = {i['id']: i for i in images.image_list(
        ctx.project_id, False, sort=(('created_at', 'asc'),), limit=None,
        visibility='all', member_status='accepted')}
    for i in images.image_list(ctx.project_id, False, sort=(('created_at', 'asc'),),
                               limit=None, visibility='shared', member_status='pending'):
        rows.setdefault(i['id'], i)
    return list(rows.values())


def _owned(ctx, uuids):
    if not uuids:
        return set()
    return {i['id'] for i in images.image_list(
        ctx.project_id, False, filters={'id': list(uuids), 'owner': ctx.project_id},
        limit=None, visibility='all', member_status='all')}


resources.register('image', 'image', NOT_FOUND, _owned)


def _uuids(wanted):
    """{ami id: uuid} of well-formed ids that exist; Malformed for others."""
    bad = [i for i in wanted if not ids.well_formed('image', i)]
    if bad:
        raise errors.EC2Error('InvalidAMIID.Malformed', f'Invalid id: "{bad[0][:64]}"')
    return ids.to_uuid('image', wanted)


def _image(ctx, ec2_id, rule=None):
    """The image ``ec2_id`` names if the caller sees it and (``rule``) may
    change it; NotFound otherwise (another project's image is never a hint)."""
    uuid = _uuids([ec2_id]).get(ec2_id)
    try:
        image = images.image_get(uuid) if uuid else None
    except ImageNotFound:
        image = None
    if image is None or not access.can_see(ctx, image) or \
            (rule and not access.allowed(ctx, rule, access.owner_target(image))):
        raise errors.not_found(NOT_FOUND, ec2_id)
    return image


# -- views ------------------------------------------------------------------------------
def _mappings(image):
    """EC2 block device mappings of an image made from a volume-backed
    server (Nova's ``block_device_mapping`` property), else none."""
    raw = image['properties'].get('block_device_mapping')
    try:
        bdms = json.loads(raw) if isinstance(raw, str) else raw or []
    except ValueError:
        bdms = []
    out = []
    for b in bdms if isinstance(bdms, list) else ():
        if not isinstance(b, dict):
            continue
        ebs = {'snapshotId': ids.one('snapshot', b['snapshot_id'])
               if b.get('snapshot_id') else None,
               'volumeSize': b.get('volume_size'),
               'deleteOnTermination': bool(b.get('delete_on_termination')),
               'encrypted': False}
        out.append({'deviceName': b.get('device_name') or _root_device(image), 'ebs': ebs})
    return out


def _root_device(image):
    return image['properties'].get('root_device_name') or ROOT_DEVICE


def _item(image, ec2_id, tagged):
    props = image['properties']
    bdm = _mappings(image)
    out = {'imageId': ec2_id,
           'imageLocation': f"{image['owner']}/{image['name'] or ''}",
           'imageState': STATES.get(image['status'], 'failed'),
           'imageOwnerId': image['owner'],
           'creationDate': image['created_at'],
           'isPublic': image['visibility'] in ('public', 'community'),
           'architecture': props.get('architecture') or 'x86_64',
           'imageType': IMAGE_TYPES.get(image['container_format'], 'machine'),
           'platform': 'windows' if props.get('os_type') == 'windows' else None,
           'platformDetails': 'Windows' if props.get('os_type') == 'windows' else 'Linux/UNIX',
           'name': image['name'],
           'description': props.get('description'),
           'rootDeviceType': 'ebs' if bdm else 'instance-store',
           'rootDeviceName': _root_device(image),
           'blockDeviceMapping': bdm,
           'virtualizationType': 'hvm',
           'tagSet': tags.view(tagged)}
    for key, prop in (('kernelId', 'kernel_id'), ('ramdiskId', 'ramdisk_id')):
        if props.get(prop):
            out[key] = ids.one('image', props[prop])
    return out


def _fields(item, tagged):
    bdm = item['blockDeviceMapping']
    return {'image-id': item['imageId'], 'name': item['name'], 'state': item['imageState'],
            'owner-id': item['imageOwnerId'], 'is-public': item['isPublic'],
            'architecture': item['architecture'], 'image-type': item['imageType'],
            'root-device-type': item['rootDeviceType'],
            'root-device-name': item['rootDeviceName'], 'description': item['description'],
            'platform': item['platform'], 'virtualization-type': item['virtualizationType'],
            'block-device-mapping.snapshot-id': [b['ebs']['snapshotId'] for b in bdm
                                                 if b['ebs']['snapshotId']],
            'block-device-mapping.device-name': [b['deviceName'] for b in bdm],
            **common.tag_fields(tagged)}


# -- DescribeImages -----------------------------------------------------------------------
def _owner_ok(ctx, owners):
    """Whether an image of ``owner`` passes ``Owner.N`` (``self``, project
    ids; ``amazon`` and the other aliases name no project here)."""
    wanted = {ctx.project_id if o == 'self' else o for o in owners}
    return lambda image: not owners or image['owner'] in wanted


def _executable_ok(ctx, users):
    """Whether an image passes ``ExecutableBy.N``: ``all`` its public
    ones, ``self`` those the caller may launch by its own right (own or
    shared with it), a project id the caller's images shared with it."""
    if not users:
        return lambda image: True
    wanted = {ctx.project_id if u == 'self' else u for u in users if u != 'all'}

    def ok(image):
        if 'all' in users and image['visibility'] in ('public', 'community'):
            return True
        if ctx.project_id in wanted and (image['owner'] == ctx.project_id or (
                image['visibility'] == 'shared' and image['owner'] != ctx.project_id)):
            return True
        others = wanted - {ctx.project_id}
        if others and image['owner'] == ctx.project_id and image['visibility'] == 'shared':
            return bool(others & {m['member_id'] for m in images.member_list(image['id'])})
        return False
    return ok


@action('DescribeImages', 'image:get_images', write=False)
def describe_images(ctx, p):
    f = p.filters(FILTERS)
    wanted = p.list('ImageId', max_len=64)
    by_uuid = {}
    if wanted:
        found = _uuids(wanted)
        by_uuid = {u: i for i, u in found.items()}
    rows = _visible(ctx)
    if wanted:
        rows = [r for r in rows if r['id'] in by_uuid]
        missing = [i for i in wanted if found.get(i) not in {r['id'] for r in rows}]
        if missing:
            raise errors.not_found(NOT_FOUND, missing)
    owner_ok = _owner_ok(ctx, p.list('Owner'))
    exec_ok = _executable_ok(ctx, p.list('ExecutableBy'))
    rows = [r for r in rows if owner_ok(r) and exec_ok(r)]
    ec2_ids = ids.to_ec2('image', [r['id'] for r in rows])
    tag_sets = tags.tag_sets('image', [r['id'] for r in rows])
    out = []
    for r in rows:
        tagged = tag_sets.get(r['id'], {})
        item = _item(r, ec2_ids[r['id']], tagged)
        if common.matches(f, _fields(item, tagged)):
            out.append(item)
    shown, token = common.page(p, out, key=lambda i: i['imageId'])
    return {'imagesSet': shown, 'nextToken': token}


# -- DeregisterImage -------------------------------------------------------------------
@action('DeregisterImage', 'image:delete_image', write=True)
def deregister_image(ctx, p):
    ec2_id = p.str('ImageId', required=True, max_len=64)
    image = _image(ctx, ec2_id, 'image:delete_image')
    if image['protected']:
        raise errors.EC2Error('OperationNotPermitted', f'The image {ec2_id} is protected '
                              'and cannot be deregistered.')
    try:
        images.image_delete(image['id'])
    except ImageNotFound:
        raise errors.not_found(NOT_FOUND, ec2_id) from None
    tags.forget('image', [image['id']])
    return {'return': True}


# -- image attributes -------------------------------------------------------------------------
def _permissions(image):
    out = [{'group': 'all'}] if image['visibility'] in ('public', 'community') else []
    if image['visibility'] == 'shared':
        out += [{'userId': m['member_id']} for m in images.member_list(image['id'])
                if m['status'] != 'rejected']
    return out


@action('DescribeImageAttribute', 'image:get_image', write=False)
def describe_image_attribute(ctx, p):
    ec2_id = p.str('ImageId', required=True, max_len=64)
    attribute = p.str('Attribute', required=True, max_len=64)
    if attribute not in ATTRIBUTES:
        raise errors.invalid(f'Value ({attribute[:64]}) for parameter attribute is invalid. '
                             'Unknown attribute.')
    image = _image(ctx, ec2_id)
    out = {'imageId': ec2_id}
    props = image['properties']
    if attribute == 'launchPermission':
        if not access.allowed(ctx, 'image:get_members', access.owner_target(image)):
            raise errors.unauthorized(f'You are not authorized to describe the launch '
                                      f'permissions of {ec2_id}.')
        out['launchPermission'] = _permissions(image)
    elif attribute == 'description':
        out['description'] = {'value': props.get('description')}
    elif attribute == 'blockDeviceMapping':
        out['blockDeviceMapping'] = _mappings(image)
    elif attribute == 'productCodes':
        out['productCodes'] = []
    else:
        ref = props.get(f'{attribute}_id')
        out[attribute] = {'value': ids.one('image', ref) if ref else None}
    return out


def _launch_changes(p):
    """(add, remove): lists of ('group', 'all') / ('user', project id)."""
    add, remove = [], []
    perm = p.struct('LaunchPermission')
    for target, name in ((add, 'Add'), (remove, 'Remove')):
        for entry in perm.structs(name):
            group, user = entry.str('Group', max_len=16), entry.str('UserId', max_len=255)
            if group is not None:
                target.append(('group', group))
            if user is not None:
                target.append(('user', user))
    op = p.str('OperationType', choices=('add', 'remove'))
    flat = [('group', g) for g in p.list('UserGroup', max_len=16)] + \
        [('user', u) for u in p.list('UserId')]
    if flat:
        if op is None:
            raise errors.missing('OperationType')
        (add if op == 'add' else remove).extend(flat)
    for _kind, value in add + remove:
        if _kind == 'group' and value != 'all':
            raise errors.invalid(f'Value ({value[:16]}) for parameter Group is invalid. '
                                 'Expected: all.')
        if _kind == 'user' and (not value or '\x00' in value):
            raise errors.invalid('Value for parameter UserId is invalid.')
    return add, remove


def _modify_launch(ctx, image, ec2_id, add, remove):
    values = {}
    if ('group', 'all') in add:
        if not access.allowed(ctx, 'image:publicize_image', access.owner_target(image)):
            raise errors.unauthorized(f'You are not authorized to make {ec2_id} public.')
        values['visibility'] = 'public'
    elif ('group', 'all') in remove and image['visibility'] in ('public', 'community'):
        values['visibility'] = 'shared'
    elif any(k == 'user' for k, _ in add) and image['visibility'] == 'private':
        values['visibility'] = 'shared'
    if values:
        images.image_update(image['id'], values)
    for kind, member in add:
        if kind == 'user' and member != image['owner']:
            try:
                images.member_create(image['id'], member)
            except MemberExists:
                pass
    for kind, member in remove:
        if kind == 'user':
            try:
                images.member_delete(image['id'], member)
            except MemberNotFound:
                pass


@action('ModifyImageAttribute', 'image:modify_image', write=True)
def modify_image_attribute(ctx, p):
    ec2_id = p.str('ImageId', required=True, max_len=64)
    attribute = p.str('Attribute', max_len=64)
    description = p.struct('Description').str('Value', max_len=255)
    if attribute == 'description' and description is None:
        description = p.str('Value', max_len=255)
    add, remove = _launch_changes(p)
    if attribute not in (None, 'description', 'launchPermission'):
        raise errors.invalid(f'Value ({attribute[:64]}) for parameter attribute is invalid. '
                             'Only description and launchPermission may be modified.')
    if description is None and not add and not remove:
        raise errors.missing('LaunchPermission')
    image = _image(ctx, ec2_id, 'image:modify_image')
    if add or remove:
        for rule, changes in (('image:add_member', add), ('image:delete_member', remove)):
            if any(k == 'user' for k, _ in changes) and \
                    not access.allowed(ctx, rule, access.owner_target(image)):
                raise errors.unauthorized(f'You are not authorized to change who may '
                                          f'launch {ec2_id}.')
        _modify_launch(ctx, image, ec2_id, add, remove)
    if description is not None:
        images.image_update(image['id'], {}, {'description': description})
    return {'return': True}
