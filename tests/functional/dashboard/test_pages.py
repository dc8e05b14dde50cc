"""The dashboard's pages over HTTP against a real all-in-one cloud (fake
compute driver): launch an instance and watch the live fragment go ACTIVE,
stop/start/reboot/delete, the console log, images, key pairs; a second user
sees none of it and gets 404 on its ids."""
import html
import re

from tests.console_client import Console, refusal
from tests.functional.dashboard.test_sessions import loc
from tests.probe.compute.helpers import deadline_poll


def _launch(user, name):
    form = user.get('/instances/new').text
    assert user.resources['image_id'] in form
    assert user.resources['network_id'] in form
    flavor = re.search(r'name="flavor" value="([^"]+)"', form).group(1)
    r = user.post('/instances', {
        'name': name, 'image': user.resources['image_id'], 'flavor': flavor,
        'network': user.resources['network_id'], 'security_groups': 'default',
        'user_data': '#cloud-config\n'}, form_page='/instances/new')
    assert r.status_code == 303, r.text[:1000]
    assert loc(r) == '/instances'
    listing = user.get('/instances').text
    assert name in listing
    server_id = re.search(r'href="/instances/([0-9a-f-]{36})">' + re.escape(name),
                          listing).group(1)
    return server_id


def _status(user, server_id):
    """The status shown for ``server_id`` in the live fragment."""
    r = user.get('/instances/rows', headers={'HX-Request': 'true'})
    assert r.status_code == 200
    assert r.text.lstrip().startswith('<tbody id="instance-rows"')
    assert 'hx-trigger="every' in r.text
    row = re.search(r'href="/instances/' + server_id + r'">.*?</tr>', r.text, re.S)
    if row is None:
        return None
    return re.search(r'class="status [^"]*">([A-Z_]+)<', row.group(0)).group(1)


def _wait_status(user, server_id, want, timeout=60):
    deadline_poll(lambda: _status(user, server_id) == want, timeout,
                  what=f'{server_id} {want} in the fragment')


def test_instance_life_cycle(dash_cloud, user, other_user):
    user.login()
    sid = _launch(user, 'web-1')
    _wait_status(user, sid, 'ACTIVE')
    page = user.get(f'/instances/{sid}')
    assert page.status_code == 200 and 'web-1' in page.text and 'Console log' in page.text

    # The other user sees nothing of it, and gets 404 on its id.
    other_user.login()
    assert 'web-1' not in other_user.get('/instances').text
    assert other_user.get(f'/instances/{sid}').status_code == 404
    for action in ('stop', 'delete'):
        r = other_user.post(f'/instances/{sid}/action', {'action': action},
                            form_page='/instances')
        assert r.status_code == 404, action

    r = user.post(f'/instances/{sid}/action', {'action': 'stop'}, form_page='/instances')
    assert r.status_code == 303
    _wait_status(user, sid, 'SHUTOFF')
    r = user.post(f'/instances/{sid}/action', {'action': 'start'}, form_page='/instances')
    assert r.status_code == 303
    _wait_status(user, sid, 'ACTIVE')
    r = user.post(f'/instances/{sid}/action', {'action': 'reboot'}, form_page='/instances')
    assert r.status_code == 303
    assert 'Reboot requested.' in user.get('/instances').text
    _wait_status(user, sid, 'ACTIVE')
    r = user.post(f'/instances/{sid}/action', {'action': 'delete'}, form_page='/instances')
    assert r.status_code == 303
    deadline_poll(lambda: _status(user, sid) is None, 60, what='instance gone')
    assert user.get(f'/instances/{sid}').status_code == 404


def test_snapshot_resize_and_boot_from_volume(dash_cloud, user):
    api = dash_cloud.api
    user.login()
    sid = _launch(user, 'grow-1')
    _wait_status(user, sid, 'ACTIVE')
    page = user.get(f'/instances/{sid}').text
    assert 'name="snapshot_name"' in page and 'id="resize-flavor"' in page
    r = user.post(f'/instances/{sid}/action', {'action': 'snapshot',
                                              'snapshot_name': 'grow-1-snap'},
                  form_page=f'/instances/{sid}')
    assert r.status_code == 303
    deadline_poll(lambda: any(
        i['name'] == 'grow-1-snap' and i['status'] == 'active' for i in api.call(
            'image', 'GET', '/v2/images', user.token).json()['images']), 60,
        what='snapshot image active')
    flavors = api.call('compute', 'GET', '/v2.1/flavors/detail', user.token).json()['flavors']
    now = api.call('compute', 'GET', f'/v2.1/servers/{sid}', user.token).json()['server']
    bigger = next(f for f in flavors if f['id'] != now['flavor']['id'])
    r = user.post(f'/instances/{sid}/action', {'action': 'resize', 'flavor': bigger['id']},
                  form_page=f'/instances/{sid}')
    assert r.status_code == 303
    _wait_status(user, sid, 'VERIFY_RESIZE')
    assert 'Confirm resize' in user.get(f'/instances/{sid}').text
    r = user.post(f'/instances/{sid}/action', {'action': 'confirm-resize'},
                  form_page=f'/instances/{sid}')
    assert r.status_code == 303
    _wait_status(user, sid, 'ACTIVE')
    assert api.call('compute', 'GET', f'/v2.1/servers/{sid}', user.token).json()[
        'server']['flavor']['id'] == bigger['id']
    assert user.post(f'/instances/{sid}/action', {'action': 'resize', 'flavor': '../x'},
                     form_page=f'/instances/{sid}').status_code == 404

    # boot from a new volume made from the image
    form = user.get('/instances/new').text
    flavor = re.search(r'name="flavor" value="([^"]+)"', form).group(1)
    r = user.post('/instances', {'name': 'bfv-1', 'image': user.resources['image_id'],
                                 'flavor': flavor, 'network': user.resources['network_id'],
                                 'boot_volume': 'yes', 'volume_size': '0'},
                  form_page='/instances/new')
    assert r.status_code == 400 and 'boot volume a size' in r.text
    r = user.post('/instances', {'name': 'bfv-1', 'image': user.resources['image_id'],
                                 'flavor': flavor, 'network': user.resources['network_id'],
                                 'boot_volume': 'yes', 'volume_size': '1'},
                  form_page='/instances/new')
    assert r.status_code == 303, r.text[:500]
    bfv = re.search(r'href="/instances/([0-9a-f-]{36})">bfv-1', user.get('/instances').text
                    ).group(1)
    _wait_status(user, bfv, 'ACTIVE')
    server = api.call('compute', 'GET', f'/v2.1/servers/{bfv}', user.token).json()['server']
    vols = server['os-extended-volumes:volumes_attached']
    assert len(vols) == 1
    vol = api.call('volume', 'GET', f'/v3/{user.project_id}/volumes/{vols[0]["id"]}',
                   user.token).json()['volume']
    assert vol['size'] == 1 and vol['bootable'] in ('true', True)


def test_serial_console_page(dash_cloud, user, other_user):
    user.login()
    sid = _launch(user, 'con-1')
    _wait_status(user, sid, 'ACTIVE')
    assert f'/instances/{sid}/console' in user.get('/instances').text
    page = user.get(f'/instances/{sid}/console')
    assert page.status_code == 200, page.text[:500]
    m = re.search(r'data-console-url="(ws://[^"]+)"', page.text)
    assert m, page.text[:2000]
    url = html.unescape(m.group(1))
    proxy = url.split('/?', 1)[0]
    csp = page.headers['Content-Security-Policy']
    assert f"connect-src 'self' {proxy}" in csp
    assert "script-src 'self';" in csp                  # still no inline script
    assert 'vendor/xterm.js' in page.text and 'console.js' in page.text
    # the dashboard's page may open it (its origin), once
    with Console(url, origin=dash_cloud.base) as con:
        con.expect(f'IAAS-TEST-IMAGE-BOOTED {sid}'.encode())
        con.type('typed-in-dashboard\n')
        con.expect(rb'typed-in-dashboard')
    assert refusal(url) == 403
    # other pages keep the strict policy; another user gets 404
    assert "connect-src 'self';" in user.get('/instances').headers[
        'Content-Security-Policy']
    other_user.login()
    assert other_user.get(f'/instances/{sid}/console').status_code == 404


def test_launch_refused_by_the_api_shows_why(dash_cloud, user):
    user.login()
    r = user.post('/instances', {'name': 'bad', 'image': user.resources['image_id'],
                                 'flavor': 'no-such-flavor'}, form_page='/instances/new')
    assert r.status_code == 400
    assert 'class="flash error"' in r.text
    assert 'value="bad"' in r.text        # what was typed is kept


def test_pagination(dash_cloud, user):
    user.login()
    compute = dash_cloud.api
    flavor = compute.call('compute', 'GET', '/v2.1/flavors', user.token).json()[
        'flavors'][0]['id']
    size = 5   # [dashboard] page_size in conftest.py
    for i in range(size + 1):
        compute.call('compute', 'POST', '/v2.1/servers', user.token, 202, json={'server': {
            'name': f'many-{i:02d}', 'imageRef': user.resources['image_id'],
            'flavorRef': flavor, 'networks': [{'uuid': user.resources['network_id']}]}})
    first = user.get('/instances').text
    assert first.count('<tr>') == size + 1          # rows + the header row
    marker = re.search(r'href="/instances\?marker=([^"]+)">Next page', first).group(1)
    second = user.get(f'/instances?marker={marker}').text
    assert second.count('<tr>') == 2 and 'First page' in second
    assert f'/instances/rows?marker={marker}' in second     # the fragment keeps its page
    assert user.get('/instances?marker=../x').status_code == 404


def test_images(dash_cloud, user, other_user):
    user.login()
    image_id = user.resources['image_id']
    page = user.get('/images').text
    assert f'{user.name}-image' in page and f'/images/{image_id}/delete' in page
    other_user.login()
    assert f'{user.name}-image' not in other_user.get('/images').text
    r = other_user.post(f'/images/{image_id}/delete', form_page='/images')
    assert r.status_code == 404
    r = user.post(f'/images/{image_id}/delete', form_page='/images')
    assert r.status_code == 303
    page = user.get('/images').text
    assert 'Image deleted.' in page and f'{user.name}-image' not in page


def test_keypairs(dash_cloud, user, other_user):
    user.login()
    r = user.post('/keypairs', {'name': 'made-here'}, form_page='/keypairs')
    assert r.status_code == 200
    assert 'BEGIN' in r.text and 'PRIVATE KEY' in r.text      # shown once
    assert 'download="made-here.pem"' in r.text
    assert r.headers['Cache-Control'] == 'no-store'
    listing = user.get('/keypairs').text
    assert 'made-here' in listing and 'PRIVATE KEY' not in listing
    pub = ('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKnM9wM9qkVr1NFm6EkW0Ck3Q2q1WpQj2Pqz7m8sQ0Zt '
           'me@laptop')
    r = user.post('/keypairs', {'name': 'imported', 'public_key': pub},
                  form_page='/keypairs')
    assert r.status_code == 303
    assert 'Key pair imported imported.' in user.get('/keypairs').text
    r = user.post('/keypairs', {'name': 'made-here'}, form_page='/keypairs')
    assert r.status_code == 400 and 'class="flash error"' in r.text    # exists already

    other_user.login()
    assert 'made-here' not in other_user.get('/keypairs').text
    r = other_user.post('/keypairs/made-here/delete', form_page='/keypairs')
    assert r.status_code == 404
    assert 'made-here' in user.get('/keypairs').text     # the other's delete did nothing
    r = user.post('/keypairs/made-here/delete', form_page='/keypairs')
    assert r.status_code == 303
    page = user.get('/keypairs').text
    assert 'Key pair made-here deleted.' in page
    assert '<td>made-here</td>' not in page and '<td>imported</td>' in page


def test_overview_shows_quota_and_cost(dash_cloud, user):
    user.login()
    page = user.get('/').text
    for label in ('Instances', 'vCPUs', 'RAM', 'Volumes'):
        assert f'>{label}</dt>' in page
    assert 'Cost of ' in page and 'To date' in page


def test_prices_and_budget_from_the_rating_api(dash_cloud, user):
    api = dash_cloud.api
    api.admin('rating', 'POST', '/v1/prices', expect=201, json={'price': {
        'meter': 'instance.running', 'price_key': 'm1.nano', 'unit_price': '0.0125',
        'effective_from': '2020-01-01T00:00:00Z'}})
    api.admin('rating', 'PUT', f'/v1/projects/{user.project_id}/budget', expect=200,
              json={'budget': {'amount': '50'}})
    user.login()
    form = user.get('/instances/new').text
    assert 'Price per hour' in form
    row = re.search(r'm1\.nano</label></td>.*?</tr>', form, re.S).group(0)
    assert '0.0125' in row
    page = user.get('/').text
    assert 'of 50' in page and '<meter aria-labelledby="budget-label"' in page
