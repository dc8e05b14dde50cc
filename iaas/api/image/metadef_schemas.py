"""The metadata-definition schemas Glance publishes under
``/v2/schemas/metadefs/{name}``: namespaces, objects, properties, tags and
resource-type associations (the catalog Horizon and glanceclient's
``md-*`` commands read to describe what image, flavor and volume
properties mean).

Each is a JSON schema with a ``name`` (what the client calls the model) and,
for the collections, the ``first``/``next``/``schema`` links of a page.
"""
from iaas import wsgi

_TIME = {'type': 'string', 'readOnly': True, 'format': 'date-time'}
_STAMPS = {
    'created_at': dict(_TIME, description='Date and time of creation'),
    'updated_at': dict(_TIME, description='Date and time of the last modification'),
}
_TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string', None]

# Definitions a property schema refers to (JSON schema draft 4 style).
_DEFINITIONS = {
    'positiveInteger': {'type': 'integer', 'minimum': 0},
    'positiveIntegerDefault0': {'allOf': [{'$ref': '#/definitions/positiveInteger'},
                                          {'default': 0}]},
    'stringArray': {'type': 'array', 'items': {'type': 'string'}, 'uniqueItems': True},
}


def _property_fields():
    """What one property definition may say about its value."""
    return {
        'name': {'type': 'string', 'maxLength': 80},
        'title': {'type': 'string'},
        'description': {'type': 'string'},
        'operators': {'type': 'array', 'items': {'type': 'string'}},
        'type': {'type': 'string', 'enum': _TYPES},
        'required': {'$ref': '#/definitions/stringArray'},
        'minimum': {'type': 'number'},
        'maximum': {'type': 'number'},
        'maxLength': {'$ref': '#/definitions/positiveInteger'},
        'minLength': {'$ref': '#/definitions/positiveIntegerDefault0'},
        'pattern': {'type': 'string', 'format': 'regex'},
        'enum': {'type': 'array'},
        'readonly': {'type': 'boolean'},
        'default': {},
        'items': {'type': 'object', 'properties': {
            'type': {'type': 'string', 'enum': _TYPES},
            'enum': {'type': 'array'}}},
        'maxItems': {'$ref': '#/definitions/positiveInteger'},
        'minItems': {'$ref': '#/definitions/positiveIntegerDefault0'},
        'uniqueItems': {'type': 'boolean', 'default': False},
        'additionalItems': {'type': 'boolean'},
    }


def _property_map():
    """``{"<name>": <property definition>}`` as namespaces and objects hold."""
    fields = _property_fields()
    fields.pop('name')
    return {'type': 'object', 'additionalProperties': {
        'type': 'object', 'required': ['title', 'type'], 'properties': fields}}


def _collection(name, item, key=None):
    return {
        'name': name,
        'properties': {
            key or name: {'type': 'array', 'items': item},
            'first': {'type': 'string'},
            'next': {'type': 'string'},
            'schema': {'type': 'string'},
        },
        'links': [{'rel': 'first', 'href': '{first}'},
                  {'rel': 'next', 'href': '{next}'},
                  {'rel': 'describedby', 'href': '{schema}'}],
    }


def resource_type_schema():
    return {
        'name': 'resource_type_association',
        'properties': {
            'name': {'type': 'string', 'maxLength': 80,
                     'description': 'Resource type names should be aligned with Heat '
                                    'resource types whenever possible, e.g. '
                                    'OS::Glance::Image, OS::Nova::Flavor.'},
            'prefix': {'type': 'string', 'maxLength': 80,
                       'description': 'Prefix to add to the namespace\'s property names '
                                      'when applied to this resource type.'},
            'properties_target': {'type': 'string', 'maxLength': 80,
                                  'description': 'Where the properties apply on a resource '
                                                 'type with several (e.g. "image").'},
            **_STAMPS,
        },
        'required': ['name'],
        'additionalProperties': False,
    }


def resource_types_schema():
    return _collection('resource_type_associations', resource_type_schema())


def tag_schema():
    return {
        'name': 'tag',
        'properties': {'name': {'type': 'string', 'maxLength': 255}, **_STAMPS},
        'required': ['name'],
        'additionalProperties': False,
    }


def tags_schema():
    return _collection('tags', tag_schema())


def property_schema():
    return {
        'name': 'property',
        'properties': _property_fields(),
        'required': ['name', 'title', 'type'],
        'additionalProperties': False,
        'definitions': _DEFINITIONS,
    }


def properties_schema():
    return {
        'name': 'properties',
        'properties': {
            'properties': _property_map(),
            'first': {'type': 'string'},
            'next': {'type': 'string'},
            'schema': {'type': 'string'},
        },
        'links': [{'rel': 'first', 'href': '{first}'},
                  {'rel': 'next', 'href': '{next}'},
                  {'rel': 'describedby', 'href': '{schema}'}],
        'definitions': _DEFINITIONS,
    }


def object_schema():
    return {
        'name': 'object',
        'properties': {
            'name': {'type': 'string', 'maxLength': 80},
            'description': {'type': 'string'},
            'required': {'$ref': '#/definitions/stringArray'},
            'properties': {'$ref': '#/definitions/property'},
            'schema': {'type': 'string', 'readOnly': True},
            'self': {'type': 'string', 'readOnly': True},
            **_STAMPS,
        },
        'required': ['name'],
        'additionalProperties': False,
        'definitions': dict(_DEFINITIONS, property=_property_map()),
    }


def objects_schema():
    return _collection('objects', object_schema())


def namespace_schema():
    return {
        'name': 'namespace',
        'properties': {
            'namespace': {'type': 'string', 'maxLength': 80,
                          'description': 'The unique namespace text.'},
            'display_name': {'type': 'string', 'maxLength': 80,
                             'description': 'The user friendly name for the namespace.'},
            'description': {'type': 'string', 'maxLength': 500,
                            'description': 'Provides a user friendly description of the '
                                           'namespace.'},
            'visibility': {'type': 'string', 'enum': ['public', 'private'],
                           'description': 'Scope of namespace accessibility.'},
            'protected': {'type': 'boolean',
                          'description': 'If true, namespace will not be deletable.'},
            'owner': {'type': 'string', 'maxLength': 255,
                      'description': 'Owner of the namespace.'},
            'resource_type_associations': {'type': 'array', 'items': {
                'type': 'object', 'properties': {
                    'name': {'type': 'string'}, 'prefix': {'type': 'string'},
                    'properties_target': {'type': 'string'}}}},
            'properties': {'$ref': '#/definitions/property'},
            'objects': {'type': 'array', 'items': {'type': 'object', 'properties': {
                'name': {'type': 'string'}, 'description': {'type': 'string'},
                'required': {'$ref': '#/definitions/stringArray'},
                'properties': {'$ref': '#/definitions/property'}}}},
            'tags': {'type': 'array', 'items': {'type': 'object', 'properties': {
                'name': {'type': 'string'}}}},
            'schema': {'type': 'string', 'readOnly': True},
            'self': {'type': 'string', 'readOnly': True},
            **_STAMPS,
        },
        'required': ['namespace'],
        'additionalProperties': False,
        'definitions': dict(_DEFINITIONS, property=_property_map()),
    }


def namespaces_schema():
    return _collection('namespaces', namespace_schema())


SCHEMAS = {
    'namespace': namespace_schema, 'namespaces': namespaces_schema,
    'object': object_schema, 'objects': objects_schema,
    'property': property_schema, 'properties': properties_schema,
    'tag': tag_schema, 'tags': tags_schema,
    'resource_type': resource_type_schema, 'resource_types': resource_types_schema,
}


@wsgi.route_policy('image:get_schemas')
def show(req, name):
    """GET /v2/schemas/metadefs/{name}."""
    build = SCHEMAS.get(name)
    if build is None:
        raise wsgi.NotFound(f'No metadata definition schema named {name[:80]}')
    return build()
