"""Request body schemas of the compute API, with Nova's limits.

Every write route validates its body with one of these
(``@wsgi.accepts(SCHEMA)`` records it for the OpenAPI document,
``wsgi.validate`` checks it: 400 in Nova's format). Integers are bounded
as Nova's database columns are (:data:`MAX_INT`); numbers that may come as
strings are bounded again by :func:`int_in` after the schema (a schema's
``maximum`` does not apply to a string).
"""
from iaas import wsgi

MAX_INT = 2 ** 31 - 1      # Nova's db.MAX_INT (ram, vcpus, disk, quota values)
MAX_FLOAT = 3.40282e+38    # Nova's SQL_SP_FLOAT_MAX (rxtx_factor)

name = {'type': 'string', 'minLength': 1, 'maxLength': 255,
        'pattern': r'^(?![\s])[\S\s]*(?<![\s])$'}
description = {'type': ['string', 'null'], 'maxLength': 255}
# No count here: the project's metadata_items quota bounds it (403, as Nova),
# the request body limit bounds the work.
metadata = {'type': 'object',
            'propertyNames': {'type': 'string', 'minLength': 1, 'maxLength': 255},
            'additionalProperties': {'type': 'string', 'maxLength': 255}}
ref = {'type': ['string', 'integer'], 'minLength': 1, 'maxLength': 255}
# accessIPv4/v6: checked as addresses of their family by servers.access_ips
access_ip = {'type': ['string', 'null'], 'maxLength': 64}
disk_config = {'type': 'string', 'enum': ['AUTO', 'MANUAL']}


def _int_param(minimum, maximum=MAX_INT, negative=False):
    return {'type': ['integer', 'string'], 'minimum': minimum, 'maximum': maximum,
            'pattern': '^-?[0-9]+$' if negative else '^[0-9]+$',
            'minLength': 1, 'maxLength': 12}


positive_int = _int_param(1)
non_negative_int = _int_param(0)
# min_count/max_count: any positive integer, as Nova; the quota (and
# compute.api.MAX_PER_REQUEST) bounds them before anything is built.
count = {**positive_int, 'maximum': None}
del count['maximum']
boolean = {'type': ['boolean', 'string'],
           'enum': [True, False, 'true', 'false', 'True', 'False', '1', '0', 'yes', 'no',
                    'on', 'off', 't', 'f']}

SERVER_CREATE = {
    'type': 'object', 'required': ['server'], 'properties': {
        'server': {
            'type': 'object', 'required': ['name', 'flavorRef'], 'properties': {
                'name': name, 'imageRef': {'type': 'string', 'maxLength': 255},
                'flavorRef': ref,
                'key_name': {'type': 'string', 'minLength': 1, 'maxLength': 255},
                # base64 of at most 65535 bytes (Nova's user_data limit)
                'user_data': {'type': 'string', 'maxLength': 65535},
                'metadata': metadata,
                'availability_zone': {'type': 'string', 'minLength': 1, 'maxLength': 255},
                'min_count': count, 'max_count': count,
                'return_reservation_id': boolean,
                'networks': {'oneOf': [
                    {'type': 'string', 'enum': ['auto', 'none']},
                    {'type': 'array', 'maxItems': 32, 'items': {
                        'type': 'object', 'properties': {
                            'uuid': {'type': 'string', 'maxLength': 255},
                            'port': {'type': ['string', 'null'], 'maxLength': 255},
                            'fixed_ip': {'type': 'string', 'maxLength': 64},
                            'tag': {'type': 'string', 'maxLength': 60}}}}]},
                'security_groups': {'type': 'array', 'maxItems': 64, 'items': {
                    'type': 'object', 'properties': {
                        'name': {'type': 'string', 'minLength': 1, 'maxLength': 255}}}},
                'description': description,
                'config_drive': boolean,
                'adminPass': {'type': 'string', 'maxLength': 255},
                'block_device_mapping_v2': {'type': 'array', 'maxItems': 32,
                                            'items': {'type': 'object'}},
                'hostname': {'type': 'string', 'maxLength': 255},
                'accessIPv4': access_ip, 'accessIPv6': access_ip,
                'OS-DCF:diskConfig': disk_config,
            }},
        'os:scheduler_hints': {'type': 'object'},
        'OS-SCH-HNT:scheduler_hints': {'type': 'object'},
    }}

SERVER_UPDATE = {'type': 'object', 'required': ['server'], 'properties': {'server': {
    'type': 'object', 'additionalProperties': False, 'properties': {
        'name': name, 'description': description,
        'accessIPv4': access_ip, 'accessIPv6': access_ip,
        'OS-DCF:diskConfig': disk_config,
        'hostname': {'type': 'string', 'maxLength': 255}}}}}

METADATA = {'type': 'object', 'required': ['metadata'], 'properties': {'metadata': metadata}}
METADATA_ITEM = {'type': 'object', 'required': ['meta'], 'properties': {'meta': {
    **metadata, 'minProperties': 1, 'maxProperties': 1}}}

# POST /servers/{id}/action: the schema of each action's argument.
ACTIONS = {
    'reboot': {'type': 'object', 'required': ['type'], 'properties': {
        'type': {'type': 'string', 'pattern': '^([sS][oO][fF][tT]|[hH][aA][rR][dD])$'}}},
    'createImage': {'type': 'object', 'required': ['name'], 'properties': {
        'name': name, 'metadata': metadata}},
    'os-getConsoleOutput': {'type': 'object', 'properties': {
        'length': {'type': ['integer', 'string', 'null'], 'pattern': '^-?[0-9]+$',
                   'minimum': -1, 'maximum': MAX_INT, 'maxLength': 12}}},
    'rebuild': {'type': 'object', 'required': ['imageRef'], 'properties': {
        'imageRef': {'type': 'string', 'minLength': 1, 'maxLength': 255},
        'name': name, 'metadata': metadata, 'description': description,
        'adminPass': {'type': 'string', 'maxLength': 255},
        'accessIPv4': access_ip, 'accessIPv6': access_ip,
        'OS-DCF:diskConfig': disk_config, 'preserve_ephemeral': boolean,
        'key_name': {'type': ['string', 'null'], 'minLength': 1, 'maxLength': 255},
        'user_data': {'type': ['string', 'null'], 'maxLength': 65535}}},
    'createBackup': {'type': 'object', 'required': ['name', 'backup_type', 'rotation'],
                     'additionalProperties': False, 'properties': {
                         'name': name, 'backup_type': {'type': 'string', 'maxLength': 255},
                         'rotation': non_negative_int, 'metadata': metadata}},
    'resize': {'type': 'object', 'required': ['flavorRef'], 'properties': {
        'flavorRef': ref, 'OS-DCF:diskConfig': disk_config}},
    'addSecurityGroup': {'type': 'object', 'required': ['name'], 'properties': {
        'name': {'type': 'string', 'minLength': 1, 'maxLength': 255}}},
    'removeSecurityGroup': {'type': 'object', 'required': ['name'], 'properties': {
        'name': {'type': 'string', 'minLength': 1, 'maxLength': 255}}},
    'lock': {'type': ['object', 'null'], 'properties': {
        'locked_reason': {'type': 'string', 'maxLength': 255}}},
    'os-getSerialConsole': {'type': 'object', 'required': ['type'], 'properties': {
        'type': {'type': 'string', 'enum': ['serial']}}},
}
# unshelve's argument: before 2.77 null (an object is ignored, as Nova);
# 2.77-2.90 null or {availability_zone}; from 2.91 null or {availability_zone
# (null: unpinned), host} (server_actions picks by microversion).
_host = {'type': 'string', 'minLength': 1, 'maxLength': 255}
UNSHELVE_V277 = {'type': ['object', 'null'], 'required': ['availability_zone'],
                 'additionalProperties': False, 'properties': {'availability_zone': name}}
UNSHELVE_V291 = {'type': ['object', 'null'], 'additionalProperties': False, 'properties': {
    'availability_zone': {'oneOf': [{'type': 'null'}, name]}, 'host': _host}}
ACTIONS['unshelve'] = {'type': ['object', 'null'], 'properties': {
    'availability_zone': {'type': ['string', 'null'], 'maxLength': 255}, 'host': _host}}
# evacuate: host, adminPass; onSharedStorage before 2.14; force 2.29-2.67
# (server_actions checks the microversion of each).
ACTIONS['evacuate'] = {'type': 'object', 'additionalProperties': False, 'properties': {
    'host': _host, 'adminPass': {'type': 'string', 'maxLength': 255},
    'onSharedStorage': boolean, 'force': boolean}}
# migrate: null, or {host} from 2.56
ACTIONS['migrate'] = {'type': ['object', 'null'], 'additionalProperties': False,
                      'properties': {'host': {'type': ['string', 'null'], 'minLength': 1,
                                              'maxLength': 255}}}
# os-migrateLive (Nova's): before 2.25 block_migration and disk_over_commit are
# booleans and all three keys are required; from 2.25 block_migration may be
# "auto" and disk_over_commit is gone; force from 2.30 until 2.67
# (server_actions picks by microversion; ACTIONS has the widest form).
_bool = {'type': ['boolean', 'string'], 'enum': [True, False, 'True', 'False', 'true',
                                                 'false', '1', '0', 'yes', 'no', 'on', 'off']}
_live_host = {'type': ['string', 'null'], 'minLength': 1, 'maxLength': 255}
MIGRATE_LIVE_V21 = {'type': 'object', 'additionalProperties': False,
                    'required': ['block_migration', 'disk_over_commit', 'host'],
                    'properties': {'block_migration': _bool, 'disk_over_commit': _bool,
                                   'host': _live_host}}
MIGRATE_LIVE_V225 = {'type': 'object', 'additionalProperties': False,
                     'required': ['block_migration', 'host'], 'properties': {
                         'block_migration': {'oneOf': [_bool, {'enum': ['auto']}]},
                         'host': _live_host}}
MIGRATE_LIVE_V230 = {**MIGRATE_LIVE_V225, 'properties': {
    **MIGRATE_LIVE_V225['properties'], 'force': _bool}}
ACTIONS['os-migrateLive'] = {'type': 'object', 'properties': {
    'block_migration': {'type': ['boolean', 'string'], 'maxLength': 8},
    'disk_over_commit': {'type': ['boolean', 'string'], 'maxLength': 8},
    'host': _live_host, 'force': {'type': ['boolean', 'string'], 'maxLength': 8}}}
NULL_ARG = {'type': ['null', 'object'], 'maxProperties': 0}
for _a in ('os-start', 'os-stop', 'pause', 'unpause', 'suspend', 'resume', 'unlock',
           'confirmResize', 'revertResize', 'forceDelete', 'restore', 'shelve',
           'shelveOffload'):
    ACTIONS[_a] = NULL_ARG
ACTION = {'type': 'object', 'minProperties': 1, 'maxProperties': 1,
          'oneOf': [{'required': [k], 'properties': {k: v}} for k, v in ACTIONS.items()]}

FLAVOR_CREATE = {'type': 'object', 'required': ['flavor'], 'properties': {'flavor': {
    'type': 'object', 'required': ['name', 'ram', 'vcpus', 'disk'], 'properties': {
        'name': name,
        'id': {'type': ['string', 'null'], 'minLength': 1, 'maxLength': 255,
               'pattern': r'^(?! )[a-zA-Z0-9. _-]+(?<! )$'},
        'ram': positive_int, 'vcpus': positive_int, 'disk': non_negative_int,
        'OS-FLV-EXT-DATA:ephemeral': non_negative_int, 'swap': non_negative_int,
        'rxtx_factor': {'type': ['number', 'string'], 'minimum': 0,
                        'exclusiveMinimum': 0, 'maximum': MAX_FLOAT, 'maxLength': 40,
                        'pattern': r'^[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?$'},
        'os-flavor-access:is_public': boolean,
        'description': {'type': ['string', 'null'], 'maxLength': 65535}}}}}
FLAVOR_UPDATE = {'type': 'object', 'required': ['flavor'], 'properties': {'flavor': {
    'type': 'object', 'required': ['description'], 'additionalProperties': False,
    'properties': {'description': {'type': ['string', 'null'], 'maxLength': 65535}}}}}
_tenant = {'type': 'object', 'required': ['tenant'], 'properties': {
    'tenant': {'type': 'string', 'minLength': 1, 'maxLength': 255}}}
FLAVOR_ACTION = {'type': 'object', 'minProperties': 1, 'maxProperties': 1,
                 'properties': {'addTenantAccess': _tenant, 'removeTenantAccess': _tenant},
                 'additionalProperties': False}
_spec_key = {'type': 'string', 'minLength': 1, 'maxLength': 255,
             'pattern': '^[a-zA-Z0-9-_:. ]{1,255}$'}
_spec_value = {'type': ['string', 'integer', 'number', 'boolean'], 'maxLength': 255}
EXTRA_SPECS = {'type': 'object', 'required': ['extra_specs'], 'properties': {
    'extra_specs': {'type': 'object', 'maxProperties': 128, 'propertyNames': _spec_key,
                    'additionalProperties': _spec_value}}}
EXTRA_SPEC_ITEM = {'type': 'object', 'minProperties': 1, 'maxProperties': 1,
                   'propertyNames': _spec_key, 'additionalProperties': _spec_value}

KEYPAIR_CREATE = {'type': 'object', 'required': ['keypair'], 'properties': {'keypair': {
    'type': 'object', 'required': ['name'], 'properties': {
        'name': {'type': 'string', 'minLength': 1, 'maxLength': 255,
                 'pattern': r'^[a-zA-Z0-9 _.@-]+$'},
        'public_key': {'type': 'string', 'maxLength': 16384},
        'type': {'enum': ['ssh', 'x509']},
        'user_id': {'type': 'string', 'minLength': 1, 'maxLength': 255}}}}}

QUOTA_RESOURCES = ('instances', 'cores', 'ram', 'key_pairs', 'metadata_items',
                   'server_groups', 'server_group_members', 'injected_files',
                   'injected_file_content_bytes', 'injected_file_path_bytes')
LEGACY_QUOTAS = ('fixed_ips', 'floating_ips', 'security_groups', 'security_group_rules',
                 'networks')
_quota_value = _int_param(-1, negative=True)
QUOTA_UPDATE = {'type': 'object', 'required': ['quota_set'], 'properties': {'quota_set': {
    'type': 'object', 'additionalProperties': False, 'properties': {
        **{k: _quota_value for k in QUOTA_RESOURCES + LEGACY_QUOTAS},
        'force': boolean, 'tenant_id': {'type': 'string', 'maxLength': 255},
        'id': {'type': 'string', 'maxLength': 255}}}}}

_policies = ['affinity', 'anti-affinity', 'soft-affinity', 'soft-anti-affinity']
SERVER_GROUP_CREATE = {'type': 'object', 'required': ['server_group'], 'properties': {
    'server_group': {'type': 'object', 'required': ['name'], 'properties': {
        'name': name, 'policy': {'enum': _policies},
        'policies': {'type': 'array', 'minItems': 1, 'maxItems': 1,
                     'items': {'enum': _policies}},
        'rules': {'type': 'object', 'maxProperties': 1, 'properties': {
            'max_server_per_host': positive_int}, 'additionalProperties': False}}}}}

SERVICE_UPDATE = {'type': 'object', 'properties': {
    'status': {'enum': ['enabled', 'disabled']},
    'disabled_reason': {'type': ['string', 'null'], 'minLength': 1, 'maxLength': 255},
    'forced_down': boolean,
    'host': {'type': 'string', 'minLength': 1, 'maxLength': 255},
    'binary': {'type': 'string', 'minLength': 1, 'maxLength': 255}}}


def int_in(value, field, minimum=0, maximum=MAX_INT):
    """``value`` (an int or a string of digits, as the schemas allow) as an
    int in [minimum, maximum] (``maximum`` None: unbounded); 400 otherwise."""
    if isinstance(value, (bool, float)):
        raise wsgi.BadRequest(f'Invalid input for field/attribute {field}: '
                              f'{value!r} is not an integer')
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise wsgi.BadRequest(f'Invalid input for field/attribute {field}: '
                              f'{str(value)[:40]!r} is not an integer') from None
    if n < minimum or (maximum is not None and n > maximum):
        raise wsgi.BadRequest(f'Invalid input for field/attribute {field}: {n} is not '
                              f'between {minimum} and {maximum}')
    return n


def truthy(value):
    """A boolean of the schemas' ``boolean`` (true, 'True', '1', 'yes', …)."""
    if isinstance(value, (bool, float)):
        return value
    return str(value).lower() in ('true', '1', 'yes', 'on', 't')


def query_int(req, key, minimum=0, maximum=MAX_INT):
    """An integer query parameter (None when absent); 400 when not one."""
    raw = req.GET.get(key)
    if raw is None or raw == '':
        return None
    if len(raw) > 12 or not raw.lstrip('-').isdigit():
        raise wsgi.BadRequest(f'Invalid {key}: {raw[:40]!r} is not an integer')
    return int_in(raw, key, minimum, maximum)
