"""Images: the ones the project sees (its own, shared and public), paginated,
and deleting one of its own."""
from urllib.parse import quote

from iaas.conf import CONF
from iaas.dashboard import render


def index(req):
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
    return render.page(req, 'images.html', rows=rows, next_marker=nxt, marker=marker)


def delete(req, image_id):
    iid = quote(render.check_id(image_id), safe='')
    c = render.cloud(req)
    c.image.get(f'/images/{iid}')    # 404 for an image this project cannot see
    with render.flash_errors(req) as state:
        c.image.delete(f'/images/{iid}')
    if state['ok']:
        render.sess(req).flash('Image deleted.')
    return render.redirect(req, '/images')


def add_routes(router):
    router.add('GET', '/images', index)
    router.add('POST', '/images/{image_id}/delete', delete)
