"""Object storage (Swift): the project's containers (count, bytes; create,
delete an empty one, public read on/off), a container's objects (by prefix,
paginated by marker), uploading (streamed: :mod:`iaas.dashboard.streams`),
downloading (streamed back as an attachment) and deleting objects.

Names are checked before any API call and every one is quoted whole
(``safe=''``, so a '/' of an object name is ``%2F``, which Swift decodes as
part of the name): a path parameter that is not a container name is our 404,
a bad form value a 400; nothing can leave the user's own account, the
catalog's endpoint.
"""
import unicodedata
from urllib.parse import quote

from iaas import wsgi
from iaas.cli import client
from iaas.cli.errors import APIError
from iaas.conf import CONF
from iaas.dashboard import render, streams

PUBLIC_ACL = '.r:*,.rlistings'
MAX_CONTAINER = 256
MAX_OBJECT = 1024


class ObjectStore(client.Service):
    """Swift v1: the catalog URL is the account (…/v1/AUTH_<project>)."""
    service_type = 'object-store'

    def root_url(self, url):
        return url.rstrip('/')


def store(req):
    c = render.cloud(req)
    if not c.has('object-store'):
        raise wsgi.NotFound('This cloud has no object storage.')
    return c._client(ObjectStore)


def _bad_text(value, maximum):
    if not isinstance(value, str) or not value:
        return True
    try:
        size = len(value.encode('utf-8'))
    except UnicodeEncodeError:      # a lone surrogate
        return True
    return size > maximum or any(unicodedata.category(ch) in ('Cc', 'Cs') for ch in value)


def container_name(value, fault=wsgi.NotFound):
    if _bad_text(value, MAX_CONTAINER) or '/' in value or value in ('.', '..'):
        raise fault('Not a container name: 1 to 256 bytes, no "/" and no control '
                    'characters.')
    return value


def object_name(value, fault=wsgi.BadRequest):
    if _bad_text(value, MAX_OBJECT) or any(p in ('.', '..') for p in value.split('/')):
        raise fault('Not an object name: 1 to 1024 bytes, no control characters and no '
                    '"." or ".." between slashes.')
    return value


def cpath(container, obj=None):
    path = '/' + quote(container, safe='')
    return path if obj is None else path + '/' + quote(obj, safe='')


def _container(req, container):
    """(client, path, headers) of one of the user's containers; 404 otherwise."""
    s = store(req)
    path = cpath(container_name(container))
    return s, path, s.request('HEAD', path).headers


def _listing(resp):
    return resp.json() if resp.status_code == 200 and resp.content else []


def index(req, status=200):
    s = store(req)
    params = {'format': 'json', 'limit': CONF.dashboard.page_size}
    marker = req.GET.get('marker') or ''
    if marker:
        params['marker'] = container_name(marker, wsgi.BadRequest)
    containers = _listing(s.get('', params=params))
    nxt = containers[-1]['name'] if len(containers) == params['limit'] else None
    return render.page(req, 'objects.html', status=status, containers=containers,
                       marker=marker, next_marker=nxt)


def create_container(req):
    name = render.form(req, 'name', maximum=MAX_CONTAINER).strip()
    try:
        container_name(name, wsgi.BadRequest)
    except wsgi.BadRequest as exc:
        render.sess(req).flash(exc.message, 'error')
        return index(req, 400)
    with render.flash_errors(req) as state:
        store(req).put(cpath(name))
    return render.redirect(req, '/objects', f'Container {name} created.' if state['ok']
                           else None)


def delete_container(req, container):
    s, path, _ = _container(req, container)
    with render.flash_errors(req) as state:
        s.delete(path)
    if not state['ok']:
        return render.redirect(req, '/objects/' + quote(container, safe=''))
    return render.redirect(req, '/objects', f'Container {container} deleted.')


def container(req, container, status=200):
    s, path, headers = _container(req, container)
    params = {'format': 'json', 'limit': CONF.dashboard.page_size}
    prefix = req.GET.get('prefix') or ''
    marker = req.GET.get('marker') or ''
    if prefix:
        params['prefix'] = object_name(prefix)
    if marker:
        params['marker'] = object_name(marker)
    objs = _listing(s.get(path, params=params))
    nxt = objs[-1]['name'] if len(objs) == params['limit'] else None
    public = '.r:*' in (headers.get('X-Container-Read') or '')
    return render.page(req, 'container.html', status=status, container=container,
                       qcontainer=quote(container, safe=''), objects=objs, prefix=prefix,
                       marker=marker, next_marker=nxt, public=public,
                       public_url=s.base + path if public else None,
                       count=headers.get('X-Container-Object-Count'),
                       bytes=int(headers.get('X-Container-Bytes-Used') or 0))


def set_public(req, container):
    s, path, _ = _container(req, container)
    public = render.form(req, 'public', maximum=5) == 'on'
    headers = {'X-Container-Read': PUBLIC_ACL} if public else \
        {'X-Remove-Container-Read': '1'}
    with render.flash_errors(req) as state:
        s.post(path, headers=headers)
    back = '/objects/' + quote(container, safe='')
    if not state['ok']:
        return render.redirect(req, back)
    return render.redirect(req, back, 'Anyone can now read the container at its public '
                           'URL.' if public else 'The container is private again.')


def _content_type(value):
    value = (value or '').strip()
    if not value or len(value) > 100 or not all(ch.isalnum() or ch in '/.+-_' for ch in value):
        return 'application/octet-stream'
    return value


@streams.streamed
def upload(req, container):
    """The streamed upload (dashboard.js): the object name in the query
    string, its bytes as the raw body, any size."""
    s, path, _ = _container(req, container)
    back = '/objects/' + quote(container, safe='')
    try:
        name = object_name(req.GET.get('name', '').strip())
        s.put(path + '/' + quote(name, safe=''), data=streams.BodyReader(req),
              headers={'Content-Type': _content_type(req.GET.get('type'))})
    except wsgi.BadRequest as exc:
        return streams.done(req, back, status=400, error=exc.message)
    except APIError as exc:
        if exc.status in (401, 404) or exc.status >= 500:
            raise
        return streams.done(req, back, status=exc.status, error=exc.api_message)
    render.sess(req).flash(f'Object {name} uploaded.')
    return streams.done(req, back)


def put_form(req, container):
    """Without JavaScript: a multipart form, bounded by the form limit."""
    s, path, _ = _container(req, container)
    back = '/objects/' + quote(container, safe='')
    field = req.POST.get('file')
    if field is None or not hasattr(field, 'file'):
        return render.redirect(req, back, 'Choose a file to upload.', 'error')
    name = (render.form(req, 'name', maximum=MAX_OBJECT).strip() or
            (field.filename or '').rsplit('/', 1)[-1])
    try:
        object_name(name)
    except wsgi.BadRequest as exc:
        return render.redirect(req, back, exc.message, 'error')
    with render.flash_errors(req) as state:
        s.put(path + '/' + quote(name, safe=''), data=field.file.read(),
              headers={'Content-Type': _content_type(getattr(field, 'type', None))})
    return render.redirect(req, back, f'Object {name} uploaded.' if state['ok'] else None)


def download(req, container):
    s, path, _ = _container(req, container)
    name = object_name(req.GET.get('name', ''), wsgi.NotFound)
    resp = s.get(path + '/' + quote(name, safe=''), stream=True)
    return streams.download(resp, name.rsplit('/', 1)[-1])


def delete_object(req, container):
    s, path, _ = _container(req, container)
    name = object_name(render.form(req, 'name', maximum=4 * MAX_OBJECT), wsgi.NotFound)
    s.delete(path + '/' + quote(name, safe=''))   # 404: not there (or not ours)
    return render.redirect(req, '/objects/' + quote(container, safe=''),
                           f'Object {name} deleted.')


def add_routes(router):
    router.add('GET', '/objects', index)
    router.add('POST', '/objects', create_container)
    router.add('GET', '/objects/{container}', container)
    router.add('POST', '/objects/{container}/delete', delete_container)
    router.add('POST', '/objects/{container}/public', set_public)
    router.add('POST', '/objects/{container}/upload', upload)
    router.add('POST', '/objects/{container}/put', put_form)
    router.add('GET', '/objects/{container}/download', download)
    router.add('POST', '/objects/{container}/remove', delete_object)
