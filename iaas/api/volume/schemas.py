"""Request body schemas of the block-storage API, with Cinder's limits.

Every write route validates its body with one of these (400 in Cinder's
format); sizes are bounded by ``[volume] max_volume_size`` in the service
before any work starts.
"""
MAX_INT = 2 ** 31 - 1

name = {'type': ['string', 'null'], 'maxLength': 255}
description = {'type': ['string', 'null'], 'maxLength': 255}
uuid = {'type': 'string', 'minLength': 1, 'maxLength': 36}
metadata_obj = {'type': 'object', 'maxProperties': 128,
            'propertyNames': {'type': 'string', 'minLength': 1, 'maxLength': 255},
            'additionalProperties': {'type': 'string', 'maxLength': 255}}
# in create bodies clients send null for "none"
metadata = {**metadata_obj, 'type': ['object', 'null']}
size = {'type': ['integer', 'string', 'null'], 'pattern': '^[0-9]{1,10}$',
        'minimum': 1, 'maximum': MAX_INT}
boolean = {'type': ['boolean', 'string'],
           'enum': [True, False, 'true', 'false', 'True', 'False', '1', '0', 'yes', 'no',
                    'on', 'off', 't', 'f', 'y', 'n']}

VOLUME_CREATE = {
    'type': 'object', 'required': ['volume'], 'properties': {
        'volume': {'type': 'object', 'properties': {
            'size': size, 'name': name, 'description': description,
            'display_name': name, 'display_description': description,
            'volume_type': {'type': ['string', 'null'], 'maxLength': 255},
            'metadata': metadata,
            'availability_zone': {'type': ['string', 'null'], 'maxLength': 255},
            'snapshot_id': {**uuid, 'type': ['string', 'null']},
            'source_volid': {**uuid, 'type': ['string', 'null']},
            'imageRef': {'type': ['string', 'null'], 'maxLength': 255},
            'image_id': {'type': ['string', 'null'], 'maxLength': 255},
            'backup_id': {**uuid, 'type': ['string', 'null']},
            'multiattach': boolean,
            'consistencygroup_id': {'type': ['string', 'null'], 'maxLength': 36},
            'group_id': {'type': ['string', 'null'], 'maxLength': 36},
        }, 'additionalProperties': True},
        'OS-SCH-HNT:scheduler_hints': {'type': ['object', 'null']},
    }}

VOLUME_UPDATE = {
    'type': 'object', 'required': ['volume'], 'properties': {
        'volume': {'type': 'object', 'properties': {
            'name': name, 'description': description, 'display_name': name,
            'display_description': description, 'metadata': metadata},
            'additionalProperties': False}}}

METADATA = {'type': 'object', 'required': ['metadata'],
            'properties': {'metadata': metadata_obj}, 'additionalProperties': False}
META_ITEM = {'type': 'object', 'required': ['meta'],
             'properties': {'meta': {**metadata_obj, 'minProperties': 1,
                                             'maxProperties': 1}},
             'additionalProperties': False}

ACTION = {'type': 'object', 'minProperties': 1, 'maxProperties': 1}
EXTEND = {'type': 'object', 'required': ['new_size'],
          'properties': {'new_size': {**size, 'type': ['integer', 'string']}}}
RESET_STATUS = {'type': 'object', 'properties': {
    'status': {'type': 'string', 'maxLength': 64},
    'attach_status': {'type': 'string', 'enum': ['attached', 'detached']},
    'migration_status': {'type': ['string', 'null'], 'maxLength': 64}}}
IMAGE_METADATA = {'type': 'object', 'required': ['metadata'],
                  'properties': {'metadata': metadata_obj}}
UNSET_IMAGE_METADATA = {'type': 'object', 'required': ['key'],
                        'properties': {'key': {'type': 'string', 'minLength': 1,
                                               'maxLength': 255}}}
BOOTABLE = {'type': 'object', 'required': ['bootable'], 'properties': {'bootable': boolean}}
# os-migrate_volume (3.16+: a cluster instead of a host, not served here)
MIGRATE = {'type': 'object', 'additionalProperties': False, 'properties': {
    'host': {'type': ['string', 'null'], 'minLength': 1, 'maxLength': 255,
             'pattern': r'^[A-Za-z0-9._:-]+(@[A-Za-z0-9._:-]+)?(#[A-Za-z0-9._:-]+)?$'},
    'cluster': {'type': ['string', 'null'], 'maxLength': 255},
    'force_host_copy': boolean, 'lock_volume': boolean}}
MIGRATE_COMPLETION = {'type': 'object', 'required': ['new_volume'],
                      'additionalProperties': False, 'properties': {
                          'new_volume': uuid, 'error': {**boolean, 'type': [
                              'boolean', 'string', 'null'], 'enum': [*boolean['enum'],
                                                                     None]}}}
READONLY = {'type': 'object', 'required': ['readonly'], 'properties': {'readonly': boolean}}

SNAPSHOT_CREATE = {
    'type': 'object', 'required': ['snapshot'], 'properties': {
        'snapshot': {'type': 'object', 'required': ['volume_id'], 'properties': {
            # null is "no such volume" (404), as in Cinder
            'volume_id': {**uuid, 'type': ['string', 'null']}, 'force': boolean, 'name': name, 'description': description,
            'display_name': name, 'display_description': description,
            'metadata': metadata}}}}
SNAPSHOT_UPDATE = {
    'type': 'object', 'required': ['snapshot'], 'properties': {
        'snapshot': {'type': 'object', 'properties': {
            'name': name, 'description': description, 'display_name': name,
            'display_description': description}, 'additionalProperties': False}}}

TYPE_CREATE = {
    'type': 'object', 'required': ['volume_type'], 'properties': {
        'volume_type': {'type': 'object', 'required': ['name'], 'properties': {
            'name': {'type': 'string', 'minLength': 1, 'maxLength': 255},
            'description': description,
            'os-volume-type-access:is_public': boolean, 'is_public': boolean,
            'extra_specs': metadata}}}}
TYPE_UPDATE = {
    'type': 'object', 'required': ['volume_type'], 'properties': {
        'volume_type': {'type': 'object', 'properties': {
            'name': {'type': 'string', 'minLength': 1, 'maxLength': 255},
            'description': description, 'is_public': boolean}}}}
EXTRA_SPECS = {'type': 'object', 'required': ['extra_specs'],
               'properties': {'extra_specs': metadata_obj}}
EXTRA_SPEC_ITEM = {**metadata_obj, 'minProperties': 1, 'maxProperties': 1}
TYPE_ACCESS = {'type': 'object', 'required': ['project'],
               'properties': {'project': {'type': 'string', 'minLength': 1,
                                          'maxLength': 255}}}

QUOTA_UPDATE = {
    'type': 'object', 'required': ['quota_set'], 'properties': {
        'quota_set': {'type': 'object', 'maxProperties': 64,
                      'additionalProperties': {
                          'type': ['integer', 'string'], 'pattern': '^-?[0-9]{1,10}$',
                          'minimum': -1, 'maximum': MAX_INT}}}}

TRUE = {True, 'true', 'True', '1', 'yes', 'on', 't', 'y'}


def to_bool(value):
    return value in TRUE


def to_int(value):
    return None if value is None else int(value)


# -- attachments (3.27+) --------------------------------------------------------------
# Cinder's connector: what the attaching host tells the backend about itself.
# The fields a backend reads are bounded here (they reach export commands on
# the volume host); others are kept as given, within the body's own limits.
_word = {'type': ['string', 'null'], 'maxLength': 255, 'pattern': r'^[^\s\x00-\x1f]*$'}
CONNECTOR = {'type': 'object', 'minProperties': 1, 'maxProperties': 32, 'properties': {
    'host': {**_word, 'pattern': r'^([A-Za-z0-9][A-Za-z0-9._:-]{0,254})?$'},
    'ip': {**_word, 'maxLength': 64, 'pattern': r'^([0-9A-Fa-f][0-9A-Fa-f.:%a-z]{0,63})?$'},
    'initiator': {**_word, 'maxLength': 223,
                  'pattern': r'^((iqn|eui|naa)\.[A-Za-z0-9.:,_-]{1,219})?$'},
    'multipath': {'type': ['boolean', 'null']},
    'platform': _word, 'os_type': _word, 'mountpoint': _word,
    'mode': {'type': ['string', 'null'], 'enum': ['rw', 'ro', None]},
    'do_local_attach': {'type': ['boolean', 'null']},
    'uuid': _word, 'system uuid': _word, 'nqn': _word, 'host_nqn': _word,
    'wwpns': {'type': ['array', 'null'], 'maxItems': 64, 'items': _word},
    'wwnns': {'type': ['array', 'null'], 'maxItems': 64, 'items': _word},
}}
ATTACHMENT_CREATE = {
    'type': 'object', 'required': ['attachment'], 'additionalProperties': False,
    'properties': {'attachment': {
        'type': 'object', 'required': ['volume_uuid'], 'additionalProperties': False,
        'properties': {'volume_uuid': uuid,
                       'instance_uuid': {**uuid, 'type': ['string', 'null']},
                       # {} (as openstacksdk sends it) or null: no connector
                       'connector': {**CONNECTOR, 'type': ['object', 'null'],
                                     'minProperties': 0},
                       # openstacksdk sends "mode": null at any version
                       'mode': {'type': 'null'}}}}}
# 3.54: the attach mode
ATTACHMENT_CREATE_354 = {**ATTACHMENT_CREATE, 'properties': {'attachment': {
    **ATTACHMENT_CREATE['properties']['attachment'],
    'properties': {**ATTACHMENT_CREATE['properties']['attachment']['properties'],
                   'mode': {'type': ['string', 'null'], 'enum': ['rw', 'ro', None]}}}}}
ATTACHMENT_UPDATE = {
    'type': 'object', 'required': ['attachment'], 'additionalProperties': False,
    'properties': {'attachment': {
        'type': 'object', 'required': ['connector'], 'additionalProperties': False,
        'properties': {'connector': CONNECTOR}}}}

SERVICE_UPDATE = {'type': 'object', 'properties': {
    'host': {'type': 'string', 'minLength': 1, 'maxLength': 255},
    'binary': {'type': 'string', 'minLength': 1, 'maxLength': 255},
    'service': {'type': 'string', 'minLength': 1, 'maxLength': 255},
    'disabled_reason': {'type': ['string', 'null'], 'maxLength': 255},
    'backend_id': {'type': ['string', 'null'], 'maxLength': 255},
    'cluster': {'type': ['string', 'null'], 'maxLength': 255}}}
