"""Volumes (block storage v3, only when the catalog has 'volumev3'): the
list (its rows refresh live through htmx polling ``/volumes/rows``), create,
delete, attach to / detach from one of the user's servers (the compute
API's os-volume_attachments), snapshot, backup; the snapshots (delete)."""
from urllib.parse import quote

from iaas import wsgi
from iaas.dashboard import render

TRANSITIONAL = {'creating', 'attaching', 'detaching', 'deleting', 'downloading',
                'uploading', 'backing-up', 'restoring-backup', 'extending', 'reserved',
                'retyping', 'maintenance'}
MAX_SIZE = 16384        # GiB a form may ask for (the quota decides the rest)


def _cloud(req):
    c = render.cloud(req)
    if not c.has('volumev3'):
        raise wsgi.NotFound('This cloud has no block storage.')
    return c


def _qid(value):
    return quote(render.check_id(value), safe='')


ATTACHABLE = ('ACTIVE', 'SHUTOFF')


def _servers(c):
    """The servers a volume may be attached to (id and name: the short list,
    not the detailed one, which costs far more with many servers)."""
    out = []
    for status in ATTACHABLE:
        out += c.compute.get('/servers', params={'status': status, 'limit': 100}
                             ).json()['servers']
    return out


def _rows(volumes, names):
    out = []
    for v in volumes:
        atts = [{'server_id': a.get('server_id'), 'device': a.get('device'),
                 'server': names.get(a.get('server_id')) or a.get('server_id')}
                for a in v.get('attachments') or [] if a.get('server_id')]
        status = v.get('status') or 'unknown'
        out.append({'id': v['id'], 'name': v.get('name') or v['id'], 'size': v.get('size'),
                    'status': status, 'type': v.get('volume_type') or '–',
                    'attachments': atts, 'busy': status in TRANSITIONAL})
    return out


def _data(req, c):
    volumes = c.volume.get('/volumes/detail').json()['volumes']
    servers = _servers(c)
    names = {s['id']: s.get('name') or s['id'] for s in servers}
    return _rows(sorted(volumes, key=lambda v: v.get('created_at') or '', reverse=True),
                 names), servers


def index(req, status=200, values=None):
    c = _cloud(req)
    rows, servers = _data(req, c)
    snapshots = c.volume.get('/snapshots/detail').json()['snapshots']
    vnames = {r['id']: r['name'] for r in rows}
    for s in snapshots:
        s['volume_name'] = vnames.get(s.get('volume_id')) or s.get('volume_id')
    types = c.volume.get('/types').json()['volume_types']
    images = [i for i in c.image.get('/images', params={'limit': 200}).json()['images']
              if i.get('status') == 'active']
    return render.page(req, 'volumes.html', status=status, rows=rows, snapshots=snapshots,
                       types=types, images=sorted(images, key=lambda i: i.get('name') or ''),
                       servers=servers, values=values or {})


def rows(req):
    """The <tbody> of the list alone: what htmx polls."""
    c = _cloud(req)
    data, servers = _data(req, c)
    return render.page(req, '_volume_rows.html', rows=data, servers=servers)


def create(req):
    c = _cloud(req)
    values = {k: render.form(req, k) for k in ('name', 'size', 'volume_type', 'image',
                                              'description')}
    try:
        size = int(values['size'])
    except ValueError:
        size = 0
    if not values['name'].strip() or not 1 <= size <= MAX_SIZE:
        render.sess(req).flash(f'Give a name and a size from 1 to {MAX_SIZE} GiB.', 'error')
        return index(req, 400, values)
    body = {'name': values['name'].strip(), 'size': size}
    if values['volume_type']:
        body['volume_type'] = values['volume_type']
    if values['image']:
        body['imageRef'] = values['image']
    if values['description'].strip():
        body['description'] = values['description'].strip()
    with render.flash_errors(req) as state:
        c.volume.post('/volumes', json={'volume': body})
    if not state['ok']:
        return index(req, 400, values)
    return render.redirect(req, '/volumes', f'Volume {body["name"]} is being created.')


def _volume(c, volume_id):
    return c.volume.get(f'/volumes/{_qid(volume_id)}').json()['volume']


def delete(req, volume_id):
    c = _cloud(req)
    vol = _volume(c, volume_id)
    with render.flash_errors(req) as state:
        c.volume.delete(f'/volumes/{_qid(vol["id"])}')
    if state['ok']:
        render.sess(req).flash(f'Volume {vol.get("name") or vol["id"]} is being deleted.')
    return render.redirect(req, '/volumes')


def attach(req, volume_id):
    c = _cloud(req)
    vol = _volume(c, volume_id)
    server_id = render.form(req, 'server_id', maximum=64)
    if not server_id:
        return render.redirect(req, '/volumes', 'Choose an instance to attach to.', 'error')
    sid = quote(render.check_id(server_id), safe='')
    with render.flash_errors(req) as state:
        c.compute.post(f'/servers/{sid}/os-volume_attachments',
                       json={'volumeAttachment': {'volumeId': vol['id']}})
    if state['ok']:
        render.sess(req).flash(f'Volume {vol.get("name") or vol["id"]} is being attached.')
    return render.redirect(req, '/volumes')


def detach(req, volume_id):
    c = _cloud(req)
    vol = _volume(c, volume_id)
    servers = [a['server_id'] for a in vol.get('attachments') or [] if a.get('server_id')]
    if not servers:
        return render.redirect(req, '/volumes', 'The volume is not attached.', 'error')
    with render.flash_errors(req) as state:
        for sid in servers:
            c.compute.delete(f'/servers/{_qid(sid)}/os-volume_attachments/{_qid(vol["id"])}')
    if state['ok']:
        render.sess(req).flash(f'Volume {vol.get("name") or vol["id"]} is being detached.')
    return render.redirect(req, '/volumes')


def _copy(req, volume_id, kind):
    """A snapshot or a backup of the volume (``kind``: 'snapshot' or 'backup';
    forced while it is attached)."""
    c = _cloud(req)
    vol = _volume(c, volume_id)
    name = render.form(req, 'name').strip() or f'{vol.get("name") or vol["id"]}-{kind}'
    with render.flash_errors(req) as state:
        c.volume.post(f'/{kind}s', json={kind: {
            'volume_id': vol['id'], 'name': name, 'force': bool(vol.get('attachments'))}})
    if state['ok']:
        render.sess(req).flash(f'{kind.capitalize()} {name} is being created.')
    return render.redirect(req, '/volumes')


def snapshot(req, volume_id):
    return _copy(req, volume_id, 'snapshot')


def backup(req, volume_id):
    return _copy(req, volume_id, 'backup')


def snapshot_delete(req, snapshot_id):
    c = _cloud(req)
    sid = _qid(snapshot_id)
    snap = c.volume.get(f'/snapshots/{sid}').json()['snapshot']
    with render.flash_errors(req) as state:
        c.volume.delete(f'/snapshots/{sid}')
    if state['ok']:
        render.sess(req).flash(f'Snapshot {snap.get("name") or snap["id"]} is being deleted.')
    return render.redirect(req, '/volumes')


def add_routes(router):
    router.add('GET', '/volumes', index)
    router.add('POST', '/volumes', create)
    router.add('GET', '/volumes/rows', rows)
    router.add('POST', '/volumes/{volume_id}/delete', delete)
    router.add('POST', '/volumes/{volume_id}/attach', attach)
    router.add('POST', '/volumes/{volume_id}/detach', detach)
    router.add('POST', '/volumes/{volume_id}/snapshot', snapshot)
    router.add('POST', '/volumes/{volume_id}/backup', backup)
    router.add('POST', '/volumes/snapshots/{snapshot_id}/delete', snapshot_delete)
