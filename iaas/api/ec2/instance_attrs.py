"""Instance attributes: DescribeInstanceAttribute and
ModifyInstanceAttribute.

EC2 changes the type of a *stopped* instance in place; here that is the
compute API's resize (same host allowed for the one instance) confirmed as
soon as it is done, so the instance is stopped again with its new flavor
and nothing waits for a VERIFY_RESIZE. One attribute per call, as in EC2;
attributes this cloud has no equivalent for are ``UnsupportedOperation``.
"""
import time

from iaas import states
from iaas.api.ec2 import errors
from iaas.api.ec2 import instance_views as views
from iaas.api.ec2.actions import action
from iaas.api.ec2.instances import (
    COMPUTE,
    _compute_error,
    _resolve,
    confirm_stopped,
    flavor_named,
)
from iaas.compute import policies as P
from iaas.conf import CONF
from iaas.exception import ServiceError

# EC2's attribute names (DescribeInstanceAttribute's Attribute values)
ATTRIBUTES = ('instanceType', 'kernel', 'ramdisk', 'userData', 'disableApiTermination',
              'instanceInitiatedShutdownBehavior', 'rootDeviceName', 'blockDeviceMapping',
              'productCodes', 'sourceDestCheck', 'groupSet', 'ebsOptimized',
              'sriovNetSupport', 'enaSupport', 'enclaveOptions', 'disableApiStop')
# ModifyInstanceAttribute's structured forms (``InstanceType.Value=…``)
_FORMS = {'InstanceType': 'instanceType', 'Kernel': 'kernel', 'Ramdisk': 'ramdisk',
          'UserData': 'userData', 'DisableApiTermination': 'disableApiTermination',
          'InstanceInitiatedShutdownBehavior': 'instanceInitiatedShutdownBehavior',
          'SourceDestCheck': 'sourceDestCheck', 'GroupId': 'groupSet',
          'EbsOptimized': 'ebsOptimized', 'SriovNetSupport': 'sriovNetSupport',
          'EnaSupport': 'enaSupport', 'BlockDeviceMapping': 'blockDeviceMapping',
          'DisableApiStop': 'disableApiStop'}


def _one(ctx, p):
    ec2_id = p.str('InstanceId', required=True, max_len=64)
    rows = {}
    uuid = _resolve(ctx, [ec2_id], include_terminated=False, rows_out=rows)[ec2_id]
    return ec2_id, uuid, rows[uuid]


def _value(v):
    return {'value': v}


def _attribute(ctx, inst, name):
    if name == 'instanceType':
        return _value(views.instance_type(inst))
    if name == 'userData':
        raw = inst.get('user_data')
        return _value(raw) if raw else {}
    if name == 'rootDeviceName':
        return _value(views.ROOT_DEVICE)
    if name == 'blockDeviceMapping':
        vctx = views.Context(ctx.project_id, [inst])
        return views.item(vctx, inst)['blockDeviceMapping']
    if name == 'groupSet':
        return views.Context(ctx.project_id, [inst]).groups(inst)
    if name in ('disableApiTermination', 'ebsOptimized', 'enaSupport', 'disableApiStop'):
        return _value(False)
    if name == 'sourceDestCheck':
        return _value(True)
    if name == 'instanceInitiatedShutdownBehavior':
        return _value('stop')
    if name == 'productCodes':
        return []
    return {}                                   # kernel, ramdisk, sriov, enclave: unset


@action('DescribeInstanceAttribute', P.SERVERS_SHOW, write=False)
def describe_instance_attribute(ctx, p):
    name = p.str('Attribute', required=True, max_len=64, choices=ATTRIBUTES)
    ec2_id, _uuid, inst = _one(ctx, p)
    return {'instanceId': ec2_id, name: _attribute(ctx, inst, name)}


def _requested(p):
    """(attribute, value) of the one change asked for."""
    asked = []
    if p.has('Attribute'):
        name = p.str('Attribute', max_len=64, choices=ATTRIBUTES)
        asked.append((name, p.str('Value', max_len=16 * 1024)))
    for form, name in _FORMS.items():
        if name == 'groupSet':
            groups = p.list(form, max_len=64)
            if groups:
                asked.append((name, groups))
        elif name == 'blockDeviceMapping':
            if p.structs(form):
                asked.append((name, None))
        elif p.has(form):
            asked.append((name, p.struct(form).str('Value', max_len=16 * 1024)))
    if not asked:
        raise errors.missing('Attribute')
    if len(asked) > 1:
        raise errors.combination('Only one attribute can be modified at a time.')
    return asked[0]


@action('ModifyInstanceAttribute', P.ACTION_RULES['resize'], write=True)
def modify_instance_attribute(ctx, p):
    name, value = _requested(p)
    ec2_id, uuid, inst = _one(ctx, p)
    if name != 'instanceType':
        raise errors.EC2Error('UnsupportedOperation',
                              f'The attribute {name} cannot be modified on this cloud.')
    if not value:
        raise errors.missing('InstanceType.Value')
    flavor = flavor_named(ctx, value)['flavorid']
    if inst['vm_state'] != states.STOPPED or inst['task_state'] is not None:
        raise errors.incorrect_state(f"The instance '{ec2_id}' is not in the 'stopped' "
                                     'state.')
    if (inst.get('flavor') or {}).get('flavorid') == flavor:
        return {'return': True}
    try:
        COMPUTE.resize(ctx, uuid, flavor)
    except ServiceError as exc:
        raise _compute_error(exc) from None
    _confirm_when_resized(ctx, uuid)
    return {'return': True}


def _confirm_when_resized(ctx, uuid):
    """Wait (at most ``[ec2] modify_timeout``) for the resize to finish and
    confirm it; a failed resize is the compute API's fault, answered."""
    deadline = time.monotonic() + CONF.ec2.modify_timeout
    while time.monotonic() < deadline:
        inst = COMPUTE.get(ctx, uuid)
        if inst['vm_state'] == states.RESIZED and inst['task_state'] is None:
            confirm_stopped(ctx, uuid)
            return
        if inst['vm_state'] == states.ERROR or (
                inst['vm_state'] == states.STOPPED and inst['task_state'] is None):
            fault = (inst.get('fault') or {}).get('message') or 'the type change failed'
            raise errors.EC2Error('InsufficientInstanceCapacity', fault)
        time.sleep(0.05)
    # still running: StartInstances confirms it (see confirm_stopped)

