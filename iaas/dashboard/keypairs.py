"""Key pairs: list, create (the private key is shown once, with a download
link, and never stored by the dashboard), import a public key, delete."""
from urllib.parse import quote

from iaas import wsgi
from iaas.dashboard import render

MAX_PUBLIC_KEY = 16384


def _list(req):
    return [k['keypair'] for k in
            render.cloud(req).compute.get('/os-keypairs').json()['keypairs']]


def index(req, status=200, **extra):
    return render.page(req, 'keypairs.html', status=status, keypairs=_list(req), **extra)


def create(req):
    name = render.form(req, 'name', maximum=255).strip()
    public_key = render.form(req, 'public_key', maximum=MAX_PUBLIC_KEY).strip()
    if not name:
        render.sess(req).flash('Give the key pair a name.', 'error')
        return index(req, 400, public_key=public_key)
    body = {'keypair': {'name': name}}
    if public_key:
        body['keypair']['public_key'] = public_key
    with render.flash_errors(req) as state:
        kp = render.cloud(req).compute.post('/os-keypairs', json=body).json()['keypair']
    if not state['ok']:
        return index(req, 400, name=name, public_key=public_key)
    if public_key:
        return render.redirect(req, '/keypairs', f'Key pair {name} imported.')
    # The only time anyone sees the private key: shown now, not stored.
    return render.page(req, 'keypair_created.html', keypair=kp,
                       private_key=kp.get('private_key') or '',
                       filename=f'{kp["name"]}.pem')


def delete(req, name):
    if not name or set(name) == {'.'} or len(name) > 255:
        raise wsgi.NotFound('No such key pair.')
    with render.flash_errors(req) as state:
        render.cloud(req).compute.delete(f'/os-keypairs/{quote(name, safe="")}')
    if state['ok']:
        render.sess(req).flash(f'Key pair {name} deleted.')
    return render.redirect(req, '/keypairs')


def add_routes(router):
    router.add('GET', '/keypairs', index)
    router.add('POST', '/keypairs', create)
    router.add('POST', '/keypairs/{name}/delete', delete)
