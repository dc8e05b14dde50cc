"""The volumes, usage-and-bills and API-credentials pages over HTTP against
the session's all-in-one cloud: create a volume and watch the live fragment
go available, snapshot, back up, attach to an instance (delete refused while
attached), detach, delete; the cost charts and the invoice CSV; EC2
credentials (the secret shown once) and the config snippets; a second user
sees none of it and gets 404 on its ids."""
import csv
import datetime as dt
import html
import io
import re

from tests.functional.dashboard.test_sessions import loc
from tests.probe.compute.helpers import deadline_poll


def _user_id(api, token):
    return api.call('identity', 'GET', '/v3/auth/tokens', token, 200, headers={
        'X-Subject-Token': token}).json()['token']['user']['id']


def add_victim_volume(dash_cloud, v):
    """The route matrix's victim: a volume, its snapshot, an EC2 credential."""
    api, p = dash_cloud.api, v.project_id
    vol = api.call('volume', 'POST', f'/v3/{p}/volumes', v.token, 202, json={
        'volume': {'name': 'victim-vol', 'size': 1}}).json()['volume']
    deadline_poll(lambda: api.call('volume', 'GET', f'/v3/{p}/volumes/{vol["id"]}',
                                   v.token).json()['volume']['status'] == 'available', 60,
                  what='victim volume available')
    snap = api.call('volume', 'POST', f'/v3/{p}/snapshots', v.token, 202, json={
        'snapshot': {'volume_id': vol['id'], 'name': 'victim-snap'}}).json()['snapshot']
    uid = _user_id(api, v.token)
    cred = api.call('identity', 'POST', f'/v3/users/{uid}/credentials/OS-EC2', v.token,
                    201, json={'tenant_id': p}).json()['credential']
    v.resources.update(volume_id=vol['id'], snapshot_id=snap['id'],
                       ec2_access=cred['access'], period='1999-01')


def _row(user, name):
    """(volume id, status, row html) of ``name`` in the live fragment, or None."""
    r = user.get('/volumes/rows', headers={'HX-Request': 'true'})
    assert r.status_code == 200
    assert r.text.lstrip().startswith('<tbody id="volume-rows"')
    assert 'hx-trigger="every' in r.text
    for m in re.finditer(r'<tr id="volume-([^"]+)">(.*?)</tr>', r.text, re.S):
        if f'<td>{name}</td>' in m.group(2):
            status = re.search(r'class="status [^"]*">([a-z_-]+)<', m.group(2)).group(1)
            return m.group(1), status, m.group(2)
    return None


def _wait(user, name, status, timeout=60):
    deadline_poll(lambda: (_row(user, name) or (None, None))[1] == status, timeout,
                  what=f'volume {name} {status}')
    return _row(user, name)


def _flash(user, page='/volumes'):
    return html.unescape(user.get(page).text)


def test_volume_life_cycle(dash_cloud, user, other_user):
    user.login()
    page = user.get('/volumes')
    assert page.status_code == 200
    assert 'href="/volumes"' in page.text and 'href="/usage"' in page.text  # the nav
    assert 'for="vol-size"' in page.text and 'name="csrf_token"' in page.text
    r = user.post('/volumes', {'name': 'data-1', 'size': '1', 'description': 'd'},
                  form_page='/volumes')
    assert r.status_code == 303 and loc(r) == '/volumes', r.text[:500]
    vid, _status, _html = _wait(user, 'data-1', 'available')

    # Not a size: the form again, with a message.
    r = user.post('/volumes', {'name': 'x', 'size': 'many'}, form_page='/volumes')
    assert r.status_code == 400 and 'size from 1' in r.text

    other_user.login()
    assert 'data-1' not in other_user.get('/volumes').text
    for what in ('delete', 'snapshot', 'backup', 'detach', 'attach'):
        r = other_user.post(f'/volumes/{vid}/{what}', {'server_id': 'x'},
                            form_page='/volumes')
        assert r.status_code == 404, what

    # Snapshot, then delete it.
    assert user.post(f'/volumes/{vid}/snapshot', {'name': 'snap-1'},
                     form_page='/volumes').status_code == 303
    assert 'Snapshot snap-1 is being created.' in _flash(user)
    api, p = dash_cloud.api, user.project_id
    snaps = api.call('volume', 'GET', f'/v3/{p}/snapshots', user.token).json()['snapshots']
    sid = [s['id'] for s in snaps if s['name'] == 'snap-1'][0]
    deadline_poll(lambda: api.call('volume', 'GET', f'/v3/{p}/snapshots/{sid}', user.token)
                  .json()['snapshot']['status'] == 'available', 60, what='snapshot')
    assert 'snap-1' in user.get('/volumes').text
    assert other_user.post(f'/volumes/snapshots/{sid}/delete',
                           form_page='/volumes').status_code == 404
    assert user.post(f'/volumes/snapshots/{sid}/delete',
                     form_page='/volumes').status_code == 303
    deadline_poll(lambda: api.call('volume', 'GET', f'/v3/{p}/snapshots/{sid}',
                                   user.token).status_code == 404, 60, what='snapshot gone')

    # A backup: started, or the cloud's refusal as a message.
    assert user.post(f'/volumes/{vid}/backup', form_page='/volumes').status_code == 303
    text = _flash(user)
    assert 'Backup data-1-backup is being created.' in text or 'flash error' in text
    _wait(user, 'data-1', 'available')

    # Attach to an instance: delete is refused with the API's message.
    flavor = api.call('compute', 'GET', '/v2.1/flavors', user.token).json()['flavors'][0]
    server = api.call('compute', 'POST', '/v2.1/servers', user.token, 202, json={'server': {
        'name': 'vm-vol', 'imageRef': user.resources['image_id'], 'flavorRef': flavor['id'],
        'networks': [{'uuid': user.resources['network_id']}]}}).json()['server']
    deadline_poll(lambda: api.call('compute', 'GET', f'/v2.1/servers/{server["id"]}',
                                   user.token).json()['server']['status'] == 'ACTIVE', 60,
                  what='server ACTIVE')
    r = user.post(f'/volumes/{vid}/attach', {'server_id': server['id']},
                  form_page='/volumes')
    assert r.status_code == 303
    _vid, _s, row = _wait(user, 'data-1', 'in-use')
    assert 'vm-vol' in row and f'/instances/{server["id"]}' in row
    assert user.post(f'/volumes/{vid}/delete', form_page='/volumes').status_code == 303
    text = _flash(user)
    assert 'flash error' in text and 'data-1' in text
    assert user.post(f'/volumes/{vid}/detach', form_page='/volumes').status_code == 303
    _wait(user, 'data-1', 'available')
    assert user.post(f'/volumes/{vid}/delete', form_page='/volumes').status_code == 303
    deadline_poll(lambda: _row(user, 'data-1') is None, 60, what='volume gone')
    api.call('compute', 'DELETE', f'/v2.1/servers/{server["id"]}', user.token, 204)


def test_usage_page(dash_cloud, user, other_user):
    user.login()
    r = user.get('/usage')
    assert r.status_code == 200, r.text[:500]
    text = r.text
    assert text.count('<svg class="chart"') == 2
    assert '<title id="chart-days-title">' in text and '<desc id="chart-days-desc">' in text
    assert 'id="days-table"' in text and 'id="meters-table"' in text
    period = dt.datetime.now(dt.timezone.utc).strftime('%Y-%m')
    assert f'/usage/invoices/{period}.csv' in text
    assert not re.search(r'(src|href)="(https?:)?//', text)     # nothing from a CDN

    r = user.get(f'/usage/invoices/{period}.csv')
    assert r.status_code == 200
    assert r.headers['Content-Type'].startswith('text/csv')
    assert r.headers['Content-Disposition'] == f'attachment; filename="invoice-{period}.csv"'
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0][:3] == ['Resource type', 'Resource', 'Meter']
    assert any(row[2] == 'Total' for row in rows[1:])
    r = user.get(f'/usage/invoices/{period}.pdf')
    assert r.status_code == 200 and r.content.startswith(b'%PDF-')
    assert r.headers['Content-Type'] == 'application/pdf'
    assert r.headers['Content-Disposition'] == f'attachment; filename="invoice-{period}.pdf"'
    for bad in ('1999-01', '2026-13', 'nope'):
        assert user.get(f'/usage/invoices/{bad}.csv').status_code == 404, bad
        assert user.get(f'/usage/invoices/{bad}.pdf').status_code == 404, bad
    other_user.login()
    assert other_user.get('/usage').status_code == 200


def test_credentials_page(dash_cloud, user, other_user):
    user.login()
    page = user.get('/credentials')
    assert page.status_code == 200
    assert 'No EC2 credentials' in page.text
    assert 'OS_AUTH_URL=' in page.text and 'OS_PASSWORD=' not in page.text.replace(
        'export OS_PASSWORD', '')
    r = user.post('/credentials', form_page='/credentials')
    assert r.status_code == 200, r.text[:500]
    access = re.search(r'aws_access_key_id = (\w+)', r.text).group(1)
    secret = re.search(r'<code id="secret-key">([^<]+)</code>', r.text).group(1)
    assert 'aws_secret_access_key = ' + secret in r.text
    assert 'endpoint_url = http://' in r.text     # the catalog's EC2 and S3 endpoints
    assert r.headers['Cache-Control'] == 'no-store'
    listing = user.get('/credentials').text
    assert access in listing and secret not in listing     # shown once
    other_user.login()
    assert access not in other_user.get('/credentials').text
    assert other_user.post(f'/credentials/{access}/delete',
                           form_page='/credentials').status_code == 404
    assert user.post(f'/credentials/{access}/delete',
                     form_page='/credentials').status_code == 303
    text = user.get('/credentials').text
    assert f'Credential {access} deleted.' in text
    assert f'<code>{access}</code>' not in text and 'No EC2 credentials' in text
