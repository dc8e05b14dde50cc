"""The JSON schemas Glance publishes under /v2/schemas (glanceclient reads
them to build its models), also used here to validate image bodies."""
import copy
import re

from iaas.conf import CONF
from iaas.conf.image import CONTAINER_FORMATS, DISK_FORMATS

UUID_PATTERN = ('^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}'
                '-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$')
STATUSES = ['queued', 'saving', 'active', 'killed', 'deleted', 'uploading', 'importing',
            'pending_delete', 'deactivated']
VISIBILITIES = ['community', 'public', 'private', 'shared']
INT32_MAX = 2 ** 31 - 1

# Attributes the server owns: a client setting or patching one gets 403.
READ_ONLY = {'status', 'size', 'virtual_size', 'checksum', 'os_hash_algo', 'os_hash_value',
             'created_at', 'updated_at', 'self', 'file', 'schema', 'direct_url', 'stores',
             'locations'}
RESERVED = {'deleted', 'deleted_at', 'location'}
BASE = {'id', 'name', 'visibility', 'protected', 'os_hidden', 'disk_format',
        'container_format', 'min_disk', 'min_ram', 'tags', 'owner'} | READ_ONLY

_COMMON_PROPERTIES = {
    'kernel_id': {'type': ['null', 'string'], 'pattern': UUID_PATTERN,
                  'description': 'ID of image stored in Glance that should be used as '
                                 'the kernel when booting an AMI-style image.',
                  'is_base': False},
    'ramdisk_id': {'type': ['null', 'string'], 'pattern': UUID_PATTERN,
                   'description': 'ID of image stored in Glance that should be used as '
                                  'the ramdisk when booting an AMI-style image.',
                   'is_base': False},
    'instance_uuid': {'type': 'string', 'description': 'Metadata which can be used to '
                      'record which instance this image is associated with.',
                      'is_base': False},
    'architecture': {'type': 'string', 'is_base': False,
                     'description': 'Operating system architecture'},
    'os_distro': {'type': 'string', 'is_base': False,
                  'description': 'Common name of operating system distribution'},
    'os_version': {'type': 'string', 'is_base': False,
                   'description': 'Operating system version as specified by the distributor'},
    'description': {'type': 'string', 'is_base': False,
                    'description': 'A human-readable string describing this image.'},
}


def image_schema(disk_formats=None, container_formats=None):
    """The image schema; formats: the configured ones unless given."""
    disk_formats = [None] + list(CONF.image.disk_formats if disk_formats is None
                                 else disk_formats)
    container_formats = [None] + list(CONF.image.container_formats
                                      if container_formats is None else container_formats)
    props = {
        'id': {'type': 'string', 'pattern': UUID_PATTERN,
               'description': 'An identifier for the image'},
        'name': {'type': ['null', 'string'], 'maxLength': 255,
                 'description': 'Descriptive name for the image'},
        'status': {'type': 'string', 'readOnly': True, 'enum': STATUSES,
                   'description': 'Status of the image'},
        'visibility': {'type': 'string', 'enum': VISIBILITIES,
                       'description': 'Scope of image accessibility'},
        'protected': {'type': 'boolean',
                      'description': 'If true, image will not be deletable.'},
        'os_hidden': {'type': 'boolean',
                      'description': 'If true, image will not appear in default image '
                                     'list response.'},
        'checksum': {'type': ['null', 'string'], 'readOnly': True, 'maxLength': 32,
                     'description': 'md5 hash of image contents.'},
        'os_hash_algo': {'type': ['null', 'string'], 'readOnly': True, 'maxLength': 64,
                         'description': 'Algorithm to calculate the os_hash_value'},
        'os_hash_value': {'type': ['null', 'string'], 'readOnly': True, 'maxLength': 128,
                          'description': 'Hexdigest of the image contents using the '
                                         'algorithm specified by the os_hash_algo'},
        'owner': {'type': ['null', 'string'], 'maxLength': 255,
                  'description': 'Owner of the image'},
        'size': {'type': ['null', 'integer'], 'readOnly': True,
                 'description': 'Size of image file in bytes'},
        'virtual_size': {'type': ['null', 'integer'], 'readOnly': True,
                         'description': 'Virtual size of image in bytes'},
        'container_format': {'type': ['null', 'string'], 'enum': container_formats,
                             'description': 'Format of the container'},
        'disk_format': {'type': ['null', 'string'], 'enum': disk_formats,
                        'description': 'Format of the disk'},
        'created_at': {'type': 'string', 'readOnly': True,
                       'description': 'Date and time of image registration'},
        'updated_at': {'type': 'string', 'readOnly': True,
                       'description': 'Date and time of the last image modification'},
        'tags': {'type': 'array', 'items': {'type': 'string', 'maxLength': 255},
                 'description': 'List of strings related to the image'},
        'direct_url': {'type': 'string', 'readOnly': True,
                       'description': 'URL to access the image file kept in external store'},
        'min_ram': {'type': 'integer', 'minimum': 0, 'maximum': INT32_MAX,
                    'description': 'Amount of ram (in MB) required to boot image.'},
        'min_disk': {'type': 'integer', 'minimum': 0, 'maximum': INT32_MAX,
                     'description': 'Amount of disk space (in GB) required to boot image.'},
        'self': {'type': 'string', 'readOnly': True,
                 'description': 'An image self url'},
        'file': {'type': 'string', 'readOnly': True,
                 'description': 'An image file url'},
        'stores': {'type': 'string', 'readOnly': True,
                   'description': 'Store in which image data resides.'},
        'schema': {'type': 'string', 'readOnly': True,
                   'description': 'An image schema url'},
        'locations': {'type': 'array', 'items': {
            'type': 'object', 'properties': {
                'url': {'type': 'string', 'maxLength': 255},
                'metadata': {'type': 'object'}},
            'required': ['url', 'metadata']},
            'description': 'A set of URLs to access the image file kept in external store'},
    }
    props.update(copy.deepcopy(_COMMON_PROPERTIES))
    return {
        'name': 'image',
        'properties': props,
        'additionalProperties': {'type': 'string'},
        'links': [{'href': '{self}', 'rel': 'self'},
                  {'href': '{file}', 'rel': 'enclosure'},
                  {'href': '{schema}', 'rel': 'describedby'}],
    }


def images_schema():
    return {
        'name': 'images',
        'properties': {
            'images': {'type': 'array', 'items': image_schema()},
            'schema': {'type': 'string'},
            'first': {'type': 'string'},
            'next': {'type': 'string'},
        },
        'links': [{'rel': 'first', 'href': '{first}'},
                  {'rel': 'next', 'href': '{next}'},
                  {'rel': 'describedby', 'href': '{schema}'}],
    }


def member_schema():
    return {
        'name': 'member',
        'properties': {
            'created_at': {'type': 'string', 'description': 'Date and time of image '
                           'member creation'},
            'image_id': {'type': 'string', 'pattern': UUID_PATTERN,
                         'description': 'An identifier for the image'},
            'member_id': {'type': 'string', 'description': 'An identifier for the image '
                          'member (tenantId)'},
            'status': {'type': 'string', 'enum': ['pending', 'accepted', 'rejected'],
                       'description': 'The status of this image member'},
            'updated_at': {'type': 'string', 'description': 'Date and time of last '
                           'modification of image member'},
            'schema': {'readOnly': True, 'type': 'string'},
        },
    }


def members_schema():
    return {
        'name': 'members',
        'properties': {
            'members': {'type': 'array', 'items': member_schema()},
            'schema': {'type': 'string'},
        },
        'links': [{'rel': 'schema', 'href': '{schema}'}],
    }


# Bounds of what a client may store (Glance: image_property_quota and
# image_tag_quota, 128 each).
MAX_PROPERTIES = 128
MAX_TAGS = 128
NO_NUL = '^[^\\x00]*$'        # no NUL: PostgreSQL cannot store it
UUID_RE = re.compile(UUID_PATTERN)
OWNER_MAX = 64                  # images.owner is a String(64)


def _no_nul(schema):
    if 'string' in (schema.get('type') if isinstance(schema.get('type'), list)
                    else [schema.get('type')]) and 'pattern' not in schema \
            and 'enum' not in schema:
        schema['pattern'] = NO_NUL
    return schema


def writable_schema(disk_formats=None, container_formats=None):
    """What a create or a patched image must satisfy (read-only keys aside):
    every field typed, every string bounded and free of NUL."""
    s = image_schema(disk_formats, container_formats)
    props = {k: v for k, v in s['properties'].items() if not v.get('readOnly')}
    for v in props.values():
        v.pop('is_base', None)
        _no_nul(v)
    props['tags']['uniqueItems'] = False
    props['tags']['maxItems'] = MAX_TAGS
    _no_nul(props['tags']['items'])
    props['owner']['maxLength'] = OWNER_MAX
    for key in ('instance_uuid', 'architecture', 'os_distro', 'os_version', 'description'):
        props[key]['maxLength'] = 65535
    return {'type': 'object', 'properties': props,
            'additionalProperties': _no_nul({'type': 'string', 'maxLength': 65535}),
            'propertyNames': _no_nul({'type': 'string', 'minLength': 1, 'maxLength': 255})}


def valid_text(value, max_length=255):
    """A path or query value fit to store or look up: a non-empty string of
    at most ``max_length`` characters without NUL."""
    return isinstance(value, str) and 0 < len(value) <= max_length and '\x00' not in value


def is_image_id(value):
    return isinstance(value, str) and UUID_RE.match(value) is not None


# The documented bodies of write routes (OpenAPI; the handlers validate).
# POST /v2/images: with the default formats (a handler checks the
# configured ones).
CREATE_BODY = writable_schema(DISK_FORMATS, CONTAINER_FORMATS)
MEMBER_CREATE_BODY = {
    'type': 'object', 'required': ['member'], 'additionalProperties': False,
    'properties': {'member': {'type': 'string', 'minLength': 1, 'maxLength': 255,
                              'pattern': NO_NUL}}}
MEMBER_UPDATE_BODY = {
    'type': 'object', 'required': ['status'],
    'properties': {'status': {'type': 'string', 'enum': ['pending', 'accepted', 'rejected']},
                   # openstacksdk also sends the member
                   'member': {'type': 'string', 'maxLength': 255}}}
