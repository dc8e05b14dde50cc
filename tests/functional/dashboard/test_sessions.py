"""The dashboard's sessions and their protection, over HTTP against a real
all-in-one cloud: login and logout (the token revoked), cookie flags,
security headers, CSRF (missing or wrong token, foreign Origin), project
switching, sign-up through the identity API."""
import uuid
from urllib.parse import urlsplit

import requests

from tests.functional.dashboard.conftest import DashboardUser
from tests.fuzz.conftest import USER_PASSWORD


def loc(resp):
    """The path (and query) a redirect points to (webob makes it absolute)."""
    parts = urlsplit(resp.headers['Location'])
    return parts.path + (f'?{parts.query}' if parts.query else '')


def _set_cookie(resp):
    return resp.headers.get('Set-Cookie', '')


def test_login_page_and_security_headers(dash_cloud):
    r = requests.get(dash_cloud.base + '/login', timeout=30)
    assert r.status_code == 200
    assert 'name="username"' in r.text and 'name="csrf_token"' in r.text
    csp = r.headers['Content-Security-Policy']
    assert "script-src 'self'" in csp and 'unsafe-inline' not in csp
    assert "frame-ancestors 'none'" in csp
    assert r.headers['X-Frame-Options'] == 'DENY'
    assert r.headers['X-Content-Type-Options'] == 'nosniff'
    assert r.headers['Referrer-Policy'] == 'same-origin'
    assert '<script>' not in r.text and ' onclick=' not in r.text   # no inline JS
    cookie = _set_cookie(r)
    assert cookie.startswith('iaas_session=')
    for flag in ('HttpOnly', 'SameSite=Strict', 'Path=/'):
        assert flag in cookie
    assert 'Secure' not in cookie          # [dashboard] secure_cookies defaults to False


def test_pages_need_a_session(dash_cloud):
    for path in ('/', '/instances', '/images', '/keypairs', '/instances/new'):
        r = requests.get(dash_cloud.base + path, allow_redirects=False, timeout=30)
        assert r.status_code == 303, path
        assert loc(r).startswith('/login'), path
    r = requests.get(dash_cloud.base + '/instances/rows', headers={
        'HX-Request': 'true', 'HX-Current-URL': dash_cloud.base + '/instances?marker=x'},
        allow_redirects=False, timeout=30)
    # htmx follows HX-Redirect; after the login the user is back on the page
    # (not on the bare fragment).
    assert r.status_code == 401
    assert r.headers['HX-Redirect'] == '/login?next=%2Finstances%3Fmarker%3Dx'


def test_login_logout_revokes_the_token(dash_cloud, user):
    r = user.login()
    assert loc(r) == '/'
    cookie = _set_cookie(r)
    assert 'HttpOnly' in cookie and 'SameSite=Strict' in cookie
    page = user.get('/')
    assert page.status_code == 200 and user.name in page.text
    assert 'Quota use' in page.text and '<meter' in page.text
    # What the cookie carries is not readable: Fernet, no token in clear.
    value = user.http.cookies['iaas_session']
    assert user.token not in value and user.name not in value
    assert len(value) < 3000          # two tokens and ids: well under 4 KB
    saved = dict(user.http.cookies)
    r = user.post('/logout')
    assert r.status_code == 303 and loc(r) == '/login'
    assert user.get('/', follow=False).status_code == 303
    # The old cookie (its token revoked) is of no use any more.
    replay = requests.Session()
    replay.cookies.update(saved)
    r = replay.get(user.base + '/instances', allow_redirects=False, timeout=30)
    assert r.status_code == 303 and loc(r).startswith('/login')


def test_wrong_password(dash_cloud, user):
    r = user.post('/login', {'username': user.name, 'password': 'nope-' + USER_PASSWORD},
                  form_page='/login')
    assert r.status_code == 401
    assert 'Wrong user name, password or domain.' in r.text
    assert user.get('/', follow=False).status_code == 303


def test_csrf_refused(dash_cloud, user):
    user.login()
    before = user.get('/keypairs').text
    # no token
    r = user.post('/keypairs', {'name': 'k-none'}, csrf=False)
    assert r.status_code == 403
    # a wrong token
    r = user.post('/keypairs', {'name': 'k-wrong'}, token='x' * 32)
    assert r.status_code == 403
    # the right token, sent from another origin
    r = user.post('/keypairs', {'name': 'k-origin'}, origin='http://evil.example')
    assert r.status_code == 403
    # neither Origin nor Referer
    r = user.post('/keypairs', {'name': 'k-noorigin'}, origin=False)
    assert r.status_code == 403
    # another user's token (from their own session) is no good either
    stranger = DashboardUser(user.base, 'x', None, None)
    r = user.post('/keypairs', {'name': 'k-stranger'}, token=stranger.csrf('/login'))
    assert r.status_code == 403
    # a Referer of our own origin (no Origin header) is accepted
    r = user.post('/keypairs', {'name': 'k-referer'}, origin=False,
                  headers={'Referer': user.base + '/keypairs'}, form_page='/keypairs')
    assert r.status_code == 200 and 'k-referer' in r.text
    after = user.get('/keypairs').text
    for name in ('k-none', 'k-wrong', 'k-origin', 'k-noorigin', 'k-stranger'):
        assert name not in after and name not in before


def test_login_form_needs_csrf_too(dash_cloud, user):
    r = user.post('/login', {'username': user.name, 'password': USER_PASSWORD}, csrf=False)
    assert r.status_code == 403


def test_open_redirect_refused(dash_cloud, user):
    data = {'username': user.name, 'password': USER_PASSWORD, 'next': '//evil.example/x'}
    r = user.post('/login', data, form_page='/login')
    assert r.status_code == 303 and loc(r) == '/'


def test_project_switcher(dash_cloud, user):
    api = dash_cloud.api
    project = api.admin('identity', 'POST', '/v3/projects', expect=201, json={
        'project': {'name': f'second-{uuid.uuid4().hex[:6]}',
                    'domain_id': 'default'}}).json()['project']
    users = api.admin('identity', 'GET', f'/v3/users?name={user.name}').json()['users']
    role_id = api.admin('identity', 'GET', '/v3/roles?name=member').json()['roles'][0]['id']
    api.admin('identity', 'PUT', f'/v3/projects/{project["id"]}/users/{users[0]["id"]}'
              f'/roles/{role_id}', expect=204)
    user.login()
    page = user.get('/').text
    assert project['name'] in page           # offered in the switcher
    r = user.post('/project', {'project_id': project['id']})
    assert r.status_code == 303
    assert f'Overview of {project["name"]}' in user.get('/').text
    # a project the user has no role on
    r = user.post('/project', {'project_id': api.admin_project_id})
    assert r.status_code == 404
    assert f'Overview of {project["name"]}' in user.get('/').text


def test_signup_through_the_identity_api(dash_cloud):
    name = f'signup-{uuid.uuid4().hex[:8]}'
    u = DashboardUser(dash_cloud.base, name, None, None)
    page = u.get('/signup').text
    assert 'Create my account' in page
    r = u.post('/signup', {'username': name, 'password': 'Signup-pass-123',
                           'password2': 'Signup-pass-123'}, form_page='/signup')
    assert r.status_code == 303 and loc(r) == '/login'
    r = u.post('/login', {'username': name, 'password': 'Signup-pass-123'},
               form_page='/login')
    assert r.status_code == 303
    assert f'Overview of {name}' in u.get('/').text
    # the identity API's rules apply (an invalid name)
    r = u.post('/signup', {'username': '!', 'password': 'Signup-pass-123',
                           'password2': 'Signup-pass-123'}, form_page='/signup')
    assert r.status_code == 400 and 'Invalid user name' in r.text


def test_static_assets(dash_cloud):
    page = requests.get(dash_cloud.base + '/login', timeout=30).text
    for needle in ('/static/vendor/htmx.min.js?v=', '/static/dashboard.js?v=',
                   '/static/dashboard.css?v='):
        assert needle in page
    r = requests.get(dash_cloud.base + '/static/vendor/htmx.min.js', timeout=30)
    assert r.status_code == 200 and r.headers['Content-Type'].startswith('text/javascript')
    assert requests.get(dash_cloud.base + '/static/nope.js', timeout=30).status_code == 404
    assert requests.get(dash_cloud.base + '/static/..%2Fapp.py', timeout=30).status_code == 404
