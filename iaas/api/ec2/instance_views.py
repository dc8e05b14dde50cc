"""How a compute instance looks in EC2: its state (code and name), its
item of ``instancesSet`` and the reservations that group them, and the
fields Describe filters read."""
import datetime

from iaas import states
from iaas.api.ec2 import common, tags, xmlresp
from iaas.ec2 import ids
from iaas.network import api as network_api

# EC2's instance state codes
PENDING, RUNNING, SHUTTING_DOWN, TERMINATED, STOPPING, STOPPED = \
    (0, 'pending'), (16, 'running'), (32, 'shutting-down'), (48, 'terminated'), \
    (64, 'stopping'), (80, 'stopped')
ROOT_DEVICE = '/dev/vda'


def state(inst):
    """(code, name) of an instance in EC2's terms."""
    vm, task = inst['vm_state'], inst['task_state']
    if inst.get('deleted') or vm == states.DELETED:
        return TERMINATED
    if task == states.DELETING:
        return SHUTTING_DOWN
    if vm == states.BUILDING:
        return PENDING
    if vm == states.ERROR:
        return STOPPED if inst.get('launched_at') else TERMINATED
    if task == states.POWERING_OFF:
        return STOPPING
    if task == states.POWERING_ON:
        return PENDING
    if vm in (states.STOPPED, states.PAUSED, states.SUSPENDED, states.SHELVED,
              states.SHELVED_OFFLOADED):
        return STOPPED
    if vm == states.RESIZED and _sysmeta(inst).get('old_vm_state') == states.STOPPED:
        return STOPPED                      # a type change (ModifyInstanceAttribute)
    return RUNNING


def state_view(st):
    return {'code': st[0], 'name': st[1]}


def _sysmeta(inst):
    return inst.get('system_metadata') or {}


def _reason(inst):
    if inst['vm_state'] == states.ERROR:
        return {'code': 'Server.InternalError', 'message': 'Server.InternalError: the '
                'instance failed; see the compute API\'s fault for details.'}
    if state(inst) == TERMINATED:
        return {'code': 'Client.UserInitiatedShutdown',
                'message': 'Client.UserInitiatedShutdown: User initiated shutdown'}
    if state(inst) == STOPPED:
        return {'code': 'Client.UserInitiatedShutdown',
                'message': 'Client.UserInitiatedShutdown: User initiated shutdown'}
    return None


class Context:
    """What a batch of instances' views need, loaded in a few queries."""

    def __init__(self, project_id, insts, fresh_tags=None):
        """``fresh_tags``: the instances were made by this request (no ports,
        volumes or tags but these yet): nothing more to read."""
        uuids = [i['uuid'] for i in insts]
        if fresh_tags is not None:
            self.ec2 = {i['uuid']: _sysmeta(i).get('ec2_id') for i in insts}
            self.images = {i['image_ref']: _sysmeta(i).get('ec2_image_id') for i in insts}
            self.volumes, self.addresses, self.group_names, self.group_ids = {}, {}, {}, {}
            self.tags = {u: fresh_tags for u in uuids} if fresh_tags else {}
            return
        # made at create time (system metadata); looked up for older servers
        self.ec2 = {i['uuid']: _sysmeta(i).get('ec2_id') for i in insts}
        self.ec2.update(ids.to_ec2('instance', [u for u, e in self.ec2.items() if not e]))
        self.images = {i['image_ref']: _sysmeta(i).get('ec2_image_id') for i in insts
                       if i['image_ref'] and _sysmeta(i).get('ec2_image_id')}
        self.images.update(ids.to_ec2('image', list({
            i['image_ref'] for i in insts if i['image_ref'] and i['image_ref'] not in
            self.images})))
        vols = [a['volume_id'] for i in insts for a in i.get('volumes_attached') or []]
        self.volumes = ids.to_ec2('volume', vols)
        live = [i['uuid'] for i in insts if state(i) != TERMINATED]
        self.addresses = network_api.addresses_for_instances(live) if live else {}
        self.group_names = network_api.security_groups_for_instances(live) if live else {}
        self.group_ids = {}
        if any(self.group_names.values()):
            groups = network_api.sg_list(project_id=project_id)
            sg = ids.to_ec2('security_group', [g['id'] for g in groups])
            self.group_ids = {g['name']: sg[g['id']] for g in groups}
        self.tags = tags.tag_sets('instance', uuids)

    def ips(self, inst):
        fixed, floating = [], []
        for items in (self.addresses.get(inst['uuid']) or {}).values():
            for a in items:
                (floating if a.get('OS-EXT-IPS:type') == 'floating' else fixed).append(a['addr'])
        return fixed, floating

    def groups(self, inst):
        return [{'groupId': self.group_ids.get(n), 'groupName': n}
                for n in self.group_names.get(inst['uuid']) or []]


def instance_type(inst):
    return (inst.get('flavor') or {}).get('name') or str(inst.get('flavor_id'))


def root_device_type(inst):
    return 'ebs' if (inst.get('system_metadata') or {}).get('boot_from_volume') \
        else 'instance-store'


def item(ctx, inst):
    st = state(inst)
    fixed, floating = ctx.ips(inst)
    reason = _reason(inst)
    bdm = []
    for a in inst.get('volumes_attached') or []:
        bdm.append({'deviceName': a.get('mountpoint'), 'ebs': {
            'volumeId': ctx.volumes.get(a['volume_id']), 'status': 'attached',
            'attachTime': a.get('attach_time'),
            'deleteOnTermination': bool(a.get('delete_on_termination'))}})
    return {
        'instanceId': ctx.ec2[inst['uuid']],
        'imageId': ctx.images.get(inst['image_ref']),
        'instanceState': state_view(st),
        'privateDnsName': inst.get('hostname') or '',
        'dnsName': '',
        'reason': reason['message'] if reason else '',
        'keyName': inst.get('key_name'),
        'amiLaunchIndex': inst.get('launch_index') or 0,
        'productCodes': [],
        'instanceType': instance_type(inst),
        'launchTime': inst.get('launched_at') or inst.get('created_at'),
        'placement': {'availabilityZone': inst.get('availability_zone') or '',
                      'groupName': '', 'tenancy': 'default'},
        'monitoring': {'state': 'disabled'},
        'privateIpAddress': fixed[0] if fixed else None,
        'ipAddress': floating[0] if floating else None,
        'groupSet': ctx.groups(inst),
        'stateReason': reason,
        'architecture': 'x86_64',
        'rootDeviceType': root_device_type(inst),
        'rootDeviceName': ROOT_DEVICE,
        'blockDeviceMapping': bdm,
        'virtualizationType': 'hvm',
        'clientToken': (inst.get('system_metadata') or {}).get('ec2_client_token') or '',
        'tagSet': tags.view(ctx.tags.get(inst['uuid'])),
        'sourceDestCheck': True,
        'ebsOptimized': False,
        'enaSupport': False,
    }


def filter_fields(ctx, inst, view):
    fixed, floating = ctx.ips(inst)
    groups = view['groupSet']
    return {
        'instance-id': view['instanceId'], 'image-id': view['imageId'],
        'instance-state-name': view['instanceState']['name'],
        'instance-state-code': str(view['instanceState']['code']),
        'instance-type': view['instanceType'], 'key-name': view['keyName'],
        'availability-zone': view['placement']['availabilityZone'],
        'reservation-id': inst.get('reservation_id'), 'owner-id': inst['project_id'],
        'private-ip-address': fixed, 'ip-address': floating,
        'private-dns-name': view['privateDnsName'], 'dns-name': view['dnsName'],
        'launch-time': common_time(view['launchTime']), 'client-token': view['clientToken'],
        'root-device-type': view['rootDeviceType'], 'architecture': 'x86_64',
        'ami-launch-index': str(view['amiLaunchIndex']),
        'group-id': [g['groupId'] for g in groups if g['groupId']],
        'group-name': [g['groupName'] for g in groups],
        'instance.group-id': [g['groupId'] for g in groups if g['groupId']],
        'instance.group-name': [g['groupName'] for g in groups],
        'block-device-mapping.volume-id': [b['ebs']['volumeId'] for b in
                                           view['blockDeviceMapping']],
        **common.tag_fields(ctx.tags.get(inst['uuid']) or {}),
    }


def common_time(value):
    return xmlresp.timestamp(value) if isinstance(value, (str, datetime.datetime)) else None


def reservations(ctx, insts):
    """``reservationSet`` items: instances grouped by reservation, in order."""
    out, by_id = [], {}
    for inst in insts:
        rid = inst.get('reservation_id') or 'r-00000000'
        res = by_id.get(rid)
        if res is None:
            res = by_id[rid] = {'reservationId': rid, 'ownerId': inst['project_id'],
                                'groupSet': [], 'instancesSet': []}
            out.append(res)
        res['instancesSet'].append(item(ctx, inst))
    return out
