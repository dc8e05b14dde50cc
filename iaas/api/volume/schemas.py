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
