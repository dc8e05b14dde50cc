"""Images: the ones the project sees (its own, shared and public), paginated;
uploading one (streamed: :mod:`iaas.dashboard.streams`), sharing one of its
own with another project, deleting one of its own."""
from urllib.parse import quote

from iaas import wsgi
from iaas.cli.errors import APIError
from iaas.conf import CONF
from iaas.dashboard import render, streams

DISK_FORMATS = ('raw', 'qcow2', 'iso', 'vmdk', 'vdi', 'vhd', 'vhdx', 'ploop', 'ami', 'ari',
                'aki')
CONTAINER_FORMATS = ('bare', 'ovf', 'ova', 'compressed', 'docker', 'ami', 'ari', 'aki')
VISIBILITIES = ('private', 'shared')


def index(req, status=200):
    limit = CONF.dashboard.page_size
    params = {'limit': limit, 'sort': 'name:asc'}
    marker = req.GET.get('marker') or ''
    if marker:
        params['marker'] = render.check_id(marker)
    images = render.cloud(req).image.get('/images', params=params).json()['images']
    project = render.sess(req).get('project_id')
    rows = [{'id': i['id'], 'name': i.get('name') or i['id'], 'status': i.get('status'),
             'visibility': i.get('visibility'), 'size': render.size(i.get('size')),
             'format': i.get('disk_format') or '–', 'mine': i.get('owner') == project,
             'created': i.get('created_at')} for i in images]
    nxt = images[-1]['id'] if len(images) == limit else None
    return render.page(req, 'images.html', status=status, rows=rows, next_marker=nxt,
                       marker=marker, disk_formats=DISK_FORMATS,
                       container_formats=CONTAINER_FORMATS, visibilities=VISIBILITIES)


def _fields(source):
    """The new image's fields from a form or a query string; 400 if wrong."""
    def get(name):
        value = source.get(name, '')
        return value.strip() if isinstance(value, str) else ''
    name = get('name')
    if not name or len(name) > 255:
        raise wsgi.BadRequest('Give the image a name (at most 255 characters).')
    disk, container = get('disk_format') or 'raw', get('container_format') or 'bare'
    visibility = get('visibility') or 'private'
    if disk not in DISK_FORMATS or container not in CONTAINER_FORMATS or \
            visibility not in VISIBILITIES:
        raise wsgi.BadRequest('Unknown disk format, container format or visibility.')
    return {'name': name, 'disk_format': disk, 'container_format': container,
            'visibility': visibility}


def _create_and_upload(req, fields, data):
    """POST /images, then its bytes; the image is deleted again when they fail."""
    image = render.cloud(req).image
    iid = image.post('/images', json=fields).json()['id']
    try:
        image.put(f'/images/{quote(iid, safe="")}/file', data=data,
                  headers={'Content-Type': 'application/octet-stream'})
    except BaseException:
        try:
            image.delete(f'/images/{quote(iid, safe="")}')
        except Exception:   # the upload's own error is the one to show
            pass
        raise
    return iid


@streams.streamed
def upload(req):
    """The streamed upload (dashboard.js): fields in the query string, the
    file as the raw body, of any size; answers JSON for the script."""
    try:
        fields = _fields(req.GET)
        iid = _create_and_upload(req, fields, streams.BodyReader(req))
    except wsgi.BadRequest as exc:
        return streams.done(req, '/images', status=400, error=exc.message)
    except APIError as exc:
        if exc.status in (401, 404) or exc.status >= 500:
            raise
        return streams.done(req, '/images', status=exc.status, error=exc.api_message)
    render.sess(req).flash(f'Image {fields["name"]} uploaded.')
    return streams.done(req, '/images', id=iid)


def create(req):
    """Without JavaScript: a multipart form, bounded by the form limit."""
    try:
        fields = _fields(req.POST)
    except wsgi.BadRequest as exc:
        render.sess(req).flash(exc.message, 'error')
        return index(req, 400)
    upload_field = req.POST.get('file')
    if upload_field is None or not hasattr(upload_field, 'file'):
        render.sess(req).flash('Choose a file to upload.', 'error')
        return index(req, 400)
    with render.flash_errors(req) as state:
        _create_and_upload(req, fields, upload_field.file.read())
    if not state['ok']:
        return index(req, 400)
    return render.redirect(req, '/images', f'Image {fields["name"]} uploaded.')


def _own(req, image_id):
    iid = quote(render.check_id(image_id), safe='')
    c = render.cloud(req)
    img = c.image.get(f'/images/{iid}').json()   # 404 for an image this project cannot see
    if img.get('owner') != render.sess(req).get('project_id'):
        raise wsgi.NotFound('Not found: it does not exist, or it is not yours.')
    return c, iid


def delete(req, image_id):
    iid = quote(render.check_id(image_id), safe='')
    c = render.cloud(req)
    c.image.get(f'/images/{iid}')    # 404 for an image this project cannot see
    with render.flash_errors(req) as state:
        c.image.delete(f'/images/{iid}')
    if state['ok']:
        render.sess(req).flash('Image deleted.')
    return render.redirect(req, '/images')


def share(req, image_id):
    """Add a project as a member of one of our (shared) images."""
    c, iid = _own(req, image_id)
    member = render.form(req, 'project', maximum=64).strip()
    if not render.ID_RE.match(member):
        return render.redirect(req, '/images', 'Give the id of the project to share '
                               'with.', 'error')
    with render.flash_errors(req) as state:
        c.image.post(f'/images/{iid}/members', json={'member': member})
    if state['ok']:
        render.sess(req).flash(f'Image shared with project {member}; it accepts it to '
                               f'see it in its list.')
    return render.redirect(req, '/images')


def add_routes(router):
    router.add('GET', '/images', index)
    router.add('POST', '/images', create)
    router.add('POST', '/images/upload', upload)
    router.add('POST', '/images/{image_id}/delete', delete)
    router.add('POST', '/images/{image_id}/members', share)
