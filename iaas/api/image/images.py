"""/v2/images: create, list, show, JSON-patch update, delete, actions, tags."""
import urllib.parse

from iaas import wsgi
from iaas.api.image import access, schemas
from iaas.api.image.views import image_view
from iaas.conf import CONF
from iaas.exception import ImageExists, ImageNotFound, MarkerNotFound
from iaas.image import api as images
from iaas.image import states

PATCH_TYPES = ('application/openstack-images-v2.1-json-patch',
               'application/openstack-images-v2.0-json-patch')
COLUMNS = {'name', 'visibility', 'protected', 'os_hidden', 'disk_format', 'container_format',
           'min_disk', 'min_ram', 'owner'}


def _check_keys(body):
    for key in body:
        if key in schemas.READ_ONLY:
            raise wsgi.Forbidden(f"Attribute '{key}' is read-only.")
        if key in schemas.RESERVED:
            raise wsgi.Forbidden(f"Attribute '{key}' is reserved.")


def _split(body):
    """(columns, properties, tags) of a validated image body."""
    values = {k: v for k, v in body.items() if k in COLUMNS}
    for key in ('min_disk', 'min_ram'):
        if key in values:
            values[key] = int(values[key])     # 1.0 is an integer to JSON schema
    props = {k: v for k, v in body.items() if k not in schemas.BASE}
    _check_property_count(props)
    return values, props, body.get('tags')


def _check_property_count(props, before=0):
    if len(props) > max(schemas.MAX_PROPERTIES, before):
        raise wsgi.RequestTooLarge(f'Maximum number of properties '
                                   f'({schemas.MAX_PROPERTIES}) exceeded')


def _collection_path(req):
    # The router takes '/v2/images/' for '/v2/images'; Glance has no such
    # resource (an image without an id).
    if req.path_info.endswith('/'):
        raise wsgi.NotFound('The resource could not be found.')


@wsgi.route_policy('image:get_images')
def collection_other(req):
    """DELETE/PUT/PATCH on the collection: 404 for ``/v2/images/`` (an image
    with an empty id, as Glance), 405 for ``/v2/images`` itself."""
    _collection_path(req)
    raise wsgi.MethodNotAllowed(headers={'Allow': 'GET, HEAD, POST'})


@wsgi.route_policy('image:add_image')
@wsgi.accepts(schemas.CREATE_BODY)
def create(req):
    ctx = req.context
    _collection_path(req)
    body = req.json()
    _check_keys(body)
    wsgi.validate(body, schemas.writable_schema())
    values, props, tags = _split(body)
    values.setdefault('visibility', 'shared')
    values.setdefault('owner', ctx.project_id)
    if not access.allowed(ctx, 'image:add_image', {'project_id': values['owner']}):
        if values['owner'] != ctx.project_id:
            raise wsgi.Forbidden('You are not permitted to create images owned by another '
                                 'project.')
        raise wsgi.Forbidden('You are not authorized to complete add_image action.')
    access.check_visibility(ctx, values['visibility'], owner=values['owner'])
    if 'id' in body:
        values['id'] = body['id'].lower()
    try:
        image = images.image_create(values, props, tags)
    except ImageExists:
        raise wsgi.Conflict(f'Image with identifier {values["id"]} already exists!') from None
    return 201, image_view(image), {'Location': f'{req.application_url}/v2/images/{image["id"]}'}


@wsgi.route_policy('image:get_image')
def show(req, image_id):
    return image_view(access.get_visible(req.context, image_id))


@wsgi.route_policy('image:get_image')
def tasks(req, image_id):
    """Glance's ``GET /v2/images/{id}/tasks`` (2.12): the import tasks of an
    image. Images here are uploaded, never imported through tasks: none."""
    access.get_visible(req.context, image_id)
    return {'tasks': []}


# -- list -------------------------------------------------------------------

INT64_MAX = 2 ** 63 - 1


def _int_param(params, key, minimum=0, maximum=INT64_MAX):
    raw = params.get(key)
    if raw is None:
        return None
    try:
        val = int(raw)
    except ValueError:
        raise wsgi.BadRequest(f'{key} param must be an integer') from None
    if val < minimum:
        raise wsgi.BadRequest(f'{key} param must be positive')
    if maximum is not None and val > maximum:
        raise wsgi.BadRequest(f'{key} param must be at most {maximum}')
    return val


def _query(req):
    """The query parameters; 400 for ones that hold NUL (the router has
    already refused a query string that is not UTF-8)."""
    params = req.GET
    for k, v in params.items():
        if '\x00' in k or '\x00' in v:
            raise wsgi.BadRequest('Query parameters must not contain NUL characters')
    return params


def _bool_param(params, key):
    raw = params.get(key)
    if raw is None:
        return None
    low = raw.lower()
    if low in ('true', '1', 'yes', 'on'):
        return True
    if low in ('false', '0', 'no', 'off'):
        return False
    raise wsgi.BadRequest(f'Invalid value for {key}: {raw}')


def _in_values(raw):
    if raw.startswith('in:'):
        return [v.strip().strip('"') for v in raw[3:].split(',') if v.strip()]
    if raw.startswith('eq:'):
        return raw[3:]
    return raw


def _sort_params(params):
    sort = []
    if 'sort' in params:
        if 'sort_key' in params.mixed() or 'sort_dir' in params.mixed():
            raise wsgi.BadRequest('The "sort" param cannot be combined with sort_key/sort_dir')
        for item in params['sort'].split(','):
            key, _, direction = item.strip().partition(':')
            sort.append((key, direction or 'desc'))
    else:
        keys = params.getall('sort_key') or ['created_at']
        dirs = params.getall('sort_dir') or ['desc']
        if len(dirs) not in (1, len(keys)):
            raise wsgi.BadRequest('Number of sort dirs does not match the number of sort keys')
        for i, key in enumerate(keys):
            sort.append((key, dirs[i] if len(dirs) > 1 else dirs[0]))
    for key, direction in sort:
        if key not in images.SORT_KEYS:
            raise wsgi.BadRequest(f'Invalid sort key: {key}. It should be one of: '
                                  f'{", ".join(sorted(images.SORT_KEYS))}')
        if direction not in ('asc', 'desc'):
            raise wsgi.BadRequest(f'Invalid sort direction: {direction}')
    return sort


KNOWN_PARAMS = {'limit', 'marker', 'sort', 'sort_key', 'sort_dir', 'name', 'id', 'status',
                'visibility', 'owner', 'member_status', 'tag', 'disk_format',
                'container_format', 'size_min', 'size_max', 'protected', 'os_hidden',
                'created_at', 'updated_at'}


@wsgi.route_policy('image:get_images')
def index(req):
    ctx = req.context
    _collection_path(req)
    params = _query(req)
    limit = _int_param(params, 'limit', maximum=None)
    if limit is None:
        limit = CONF.image.limit_param_default
    limit = min(limit, CONF.image.api_limit_max)
    visibility = params.get('visibility')
    if visibility not in (None, 'all', *schemas.VISIBILITIES):
        raise wsgi.BadRequest(f'Invalid visibility value: {visibility}')
    member_status = params.get('member_status', 'accepted')
    if member_status not in ('pending', 'accepted', 'rejected', 'all'):
        raise wsgi.BadRequest(f'Invalid status value: {member_status}')
    filters = {}
    for key in ('name', 'id', 'status', 'owner', 'disk_format', 'container_format'):
        if key in params:
            filters[key] = _in_values(params[key])
    for key in ('size_min', 'size_max'):
        val = _int_param(params, key)
        if val is not None:
            filters[key] = val
    for key in ('protected', 'os_hidden'):
        val = _bool_param(params, key)
        if val is not None:
            filters[key] = val
    tags = params.getall('tag')
    if tags:
        filters['tags'] = tags
    props = {k: v for k, v in params.items() if k not in KNOWN_PARAMS}
    if props:
        filters['properties'] = props
    sort = _sort_params(params)
    marker = params.get('marker')
    if marker is not None and not schemas.is_image_id(marker):
        raise wsgi.BadRequest(f'Invalid marker. Image {marker[:64]} could not be found.')
    try:
        every_project = access.allowed(ctx, 'image:get_images:all_projects',
                                       {'project_id': ctx.project_id})
        found = images.image_list(ctx.project_id, every_project, filters, sort, limit,
                                  marker, visibility, member_status)
    except MarkerNotFound:
        raise wsgi.BadRequest(f'Invalid marker. Image {params.get("marker")} '
                              'could not be found.') from None
    body = {'images': [image_view(i) for i in found], 'first': '/v2/images',
            'schema': '/v2/schemas/images'}
    if found and len(found) == limit:
        nxt = [(k, v) for k, v in params.items() if k != 'marker']
        nxt.append(('marker', found[-1]['id']))
        body['next'] = '/v2/images?' + urllib.parse.urlencode(nxt)
    if req.query_string:
        body['first'] = '/v2/images?' + urllib.parse.urlencode(
            [(k, v) for k, v in params.items() if k != 'marker'])
    return body


# -- update (JSON patch) ----------------------------------------------------

def _patch_body(req):
    ctype = (req.content_type or '').lower()
    if ctype not in PATCH_TYPES:
        raise wsgi.UnsupportedMediaType(
            f'Unsupported Content-Type {ctype or "(none)"}; use {PATCH_TYPES[0]}',
            headers={'Accept-Patch': ', '.join(PATCH_TYPES)})
    raw = req.body_file.read(req.max_body + 1)
    if len(raw) > req.max_body:
        raise wsgi.RequestTooLarge('Request body is too large')
    ops = wsgi.parse_json(raw or b'null')
    if not isinstance(ops, list):
        raise wsgi.BadRequest('A JSON patch must be a list of operations')
    if ctype == PATCH_TYPES[1]:
        ops = [_draft4(op) for op in ops]
    return ops


OPS = ('add', 'replace', 'remove')


def _draft4(op):
    """A v2.0 (JSON-patch draft 4) operation, ``{"replace": "/name", "value": …}``,
    in today's form ``{"op": "replace", "path": "/name", "value": …}``."""
    if not isinstance(op, dict) or 'op' in op:
        return op
    named = [k for k in OPS if k in op]
    if len(named) != 1:
        raise wsgi.BadRequest('Operation objects must contain only one member named '
                              '"add", "remove", or "replace".')
    out = {'op': named[0], 'path': op[named[0]]}
    if 'value' in op:
        out['value'] = op['value']
    return out


def _op_path(op):
    if not isinstance(op, dict) or op.get('op') not in OPS:
        raise wsgi.BadRequest(f'Unsupported patch operation: {op!r}; use add, replace '
                              'or remove')
    path = op.get('path')
    if isinstance(path, list) and all(isinstance(p, str) for p in path):  # v2.0 style
        path = '/' + '/'.join(path)
    if not isinstance(path, str) or not path.startswith('/') or path.count('/') != 1:
        raise wsgi.BadRequest(f'Invalid JSON pointer for this resource: {path!r}')
    key = path[1:].replace('~1', '/').replace('~0', '~')
    if not key:
        raise wsgi.BadRequest('Empty path in patch operation')
    if op['op'] != 'remove' and 'value' not in op:
        raise wsgi.BadRequest(f'Operation {op["op"]} on {path} needs a value')
    return key


@wsgi.route_policy('image:modify_image')
def update(req, image_id):
    ctx = req.context
    ops = _patch_body(req)
    image = access.get_for(ctx, image_id, 'image:modify_image')
    doc = {k: image[k] for k in COLUMNS}
    doc['tags'] = list(image['tags'])
    props = dict(image['properties'])
    removed = set()
    for op in ops:
        key = _op_path(op)
        if key in schemas.READ_ONLY:
            raise wsgi.Forbidden(f"Attribute '{key}' is read-only.")
        if key in schemas.RESERVED or key == 'id':
            raise wsgi.Forbidden(f"Attribute '{key}' is reserved.")
        if key in ('disk_format', 'container_format') and image['status'] != 'queued':
            raise wsgi.Forbidden(f'Attribute {key} can be only replaced for a queued image.')
        if key in doc:
            if op['op'] == 'remove':
                raise wsgi.Forbidden(f"Attribute '{key}' can't be removed.")
            doc[key] = op['value']
        elif op['op'] == 'remove':
            if key not in props:
                raise wsgi.Conflict(f'Property {key} does not exist.')
            del props[key]
            removed.add(key)
        elif op['op'] == 'replace' and key not in props:
            raise wsgi.Conflict(f'Property {key} does not exist.')
        else:
            props[key] = op['value']
            removed.discard(key)
    candidate = {k: v for k, v in doc.items()}
    candidate.update(props)
    wsgi.validate(candidate, schemas.writable_schema())
    _check_property_count(props, len(image['properties']))
    for key in ('min_disk', 'min_ram'):
        doc[key] = int(doc[key])
    if doc['visibility'] != image['visibility']:
        access.check_visibility(ctx, doc['visibility'], image)
    if doc['owner'] != image['owner'] and \
            not access.allowed(ctx, 'image:modify_image', {'project_id': doc['owner']}):
        raise wsgi.Forbidden('You are not permitted to give an image to another project.')
    values = {k: v for k, v in doc.items() if k in COLUMNS and v != image[k]}
    changed_props = {k: v for k, v in props.items() if image['properties'].get(k) != v}
    tags = doc['tags'] if sorted(set(doc['tags'])) != image['tags'] else None
    updated = images.image_update(image_id, values, changed_props,
                              removed & set(image['properties']), tags)
    return image_view(updated)


# -- delete, actions, tags --------------------------------------------------

@wsgi.route_policy('image:delete_image')
def delete(req, image_id):
    image = access.get_for(req.context, image_id, 'image:delete_image')
    if image['protected']:
        raise wsgi.Forbidden(f'Image {image_id} is protected and cannot be deleted.')
    try:
        images.image_delete(image_id)
    except ImageNotFound:
        raise wsgi.NotFound(f'No image found with ID {image_id}') from None
    return 204, None


@wsgi.route_policy('image:deactivate')
def deactivate(req, image_id):
    image = access.get_for(req.context, image_id, 'image:deactivate')
    if image['status'] == 'deactivated':
        return 204, None
    if not states.transition(image_id, states.ACTIVE, states.DEACTIVATED):
        raise wsgi.Forbidden(f'Not allowed to deactivate image in status '
                             f"'{image['status']}'")
    return 204, None


@wsgi.route_policy('image:reactivate')
def reactivate(req, image_id):
    image = access.get_for(req.context, image_id, 'image:reactivate')
    if image['status'] == 'active':
        return 204, None
    if not states.transition(image_id, states.DEACTIVATED, states.ACTIVE):
        raise wsgi.Forbidden(f"Not allowed to reactivate image in status '{image['status']}'")
    return 204, None


@wsgi.route_policy('image:modify_image')
def add_tag(req, image_id, tag):
    access.get_for(req.context, image_id, 'image:modify_image')
    if not schemas.valid_text(tag):
        raise wsgi.BadRequest('A tag is 1 to 255 characters without NUL')
    if not images.tag_add(image_id, tag):
        raise wsgi.RequestTooLarge(f'Maximum number of tags ({images.MAX_TAGS}) exceeded')
    return 204, None


@wsgi.route_policy('image:modify_image')
def delete_tag(req, image_id, tag):
    access.get_for(req.context, image_id, 'image:modify_image')
    if not schemas.valid_text(tag) or not images.tag_delete(image_id, tag):
        # PATH_INFO is already decoded
        raise wsgi.NotFound(f'Tag {tag} not found on image {image_id}')
    return 204, None
