"""The dashboard's session cookie, CSRF and Origin checks, login rate limit,
security headers and vendored assets, in process (no APIs needed)."""
import hashlib
import os
import re
import stat
import subprocess

import pytest
import webob
from cryptography.fernet import Fernet

from iaas import wsgi
from iaas.dashboard import app, login, session, static

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
# The pins of tools/build-dashboard-assets.sh (name -> sha256)
PIN_RE = re.compile(r'^\s*"(\S+) (\S+) (\S+) ([0-9a-f]{64})"$', re.M)


@pytest.fixture
def dash_conf(conf):
    overrides = []

    def set_(name, value):
        conf.set_override(name, value, group='dashboard')
        overrides.append(name)
    yield set_
    for name in overrides:
        conf.clear_override(name, group='dashboard')


def test_key_file_created_0600_once(conf, tmp_path):
    path = tmp_path / 'keys' / 'dash.key'
    key = session.load_key(str(path))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert session.load_key(str(path)) == key        # kept, not replaced
    Fernet(key)


def test_default_key_path_under_state_path(conf):
    assert session.key_path() == os.path.join(conf.state_path, 'dashboard-secret.key')


def test_codec_refuses_tampered_foreign_and_old_cookies():
    key = Fernet.generate_key()
    codec = session.Codec(key, ttl=3600)
    value = codec.encode({'csrf': 'c', 'token': 'secret-token'})
    assert 'secret-token' not in value
    assert codec.decode(value)['token'] == 'secret-token'
    tampered = value[:-5] + ('A' if value[-5] != 'A' else 'B') + value[-4:]
    assert codec.decode(tampered) is None
    assert session.Codec(Fernet.generate_key(), 3600).decode(value) is None
    assert codec.decode('not a cookie') is None
    assert codec.decode('x' * 5000) is None
    old = Fernet(key).encrypt_at_time(b'{"csrf": "c"}', 0).decode()
    assert codec.decode(old) is None


def test_cookie_flags(dash_conf):
    header = session.cookie_header('v')
    assert header == 'iaas_session=v; Path=/; HttpOnly; SameSite=Strict'
    dash_conf('secure_cookies', True)
    assert session.cookie_header('v').endswith('; Secure')


def _post(origin=None, referer=None, token=None, host='dash.example:8000'):
    req = webob.Request.blank('/keypairs', method='POST',
                              POST={} if token is None else {'csrf_token': token})
    req.host = host
    if origin:
        req.headers['Origin'] = origin
    if referer:
        req.headers['Referer'] = referer
    return req


def test_csrf_and_origin(dash_conf):
    s = session.Session()
    good = s.csrf
    session.check_post(_post('http://dash.example:8000', token=good), s)
    session.check_post(_post(referer='http://dash.example:8000/x', token=good), s)
    refused = [_post('http://dash.example:8000', token=None),
               _post('http://dash.example:8000', token=good + 'x'),
               _post('http://dash.example:8000', token=''),
               _post('http://evil.example', token=good),
               _post('https://dash.example:8000', token=good),     # another scheme
               _post('null', token=good),
               _post(token=good),
               _post(referer='http://evil.example/dash.example:8000', token=good)]
    for req in refused:
        with pytest.raises(wsgi.Forbidden):
            session.check_post(req, s)
    # Behind a TLS proxy: the configured public URL is the origin.
    dash_conf('public_url', 'https://cloud.example.com/')
    session.check_post(_post('https://cloud.example.com', token=good), s)
    with pytest.raises(wsgi.Forbidden):
        session.check_post(_post('http://dash.example:8000', token=good), s)


def test_login_rate_limited_per_address(dash_conf):
    dash_conf('login_rate', 0.01)
    dash_conf('login_burst', 3)
    login._buckets.clear()
    req = webob.Request.blank('/login', remote_addr='192.0.2.7')
    for _ in range(3):
        login._check_rate(req)
    with pytest.raises(wsgi.TooManyRequests) as exc:
        login._check_rate(req)
    assert int(exc.value.headers['Retry-After']) >= 1
    login._check_rate(webob.Request.blank('/login', remote_addr='192.0.2.8'))
    login._buckets.clear()


def test_every_response_has_the_security_headers(conf):
    dashboard = app.build_app(key=Fernet.generate_key())
    for path in ('/login', '/nope', '/', '/static/dashboard.css'):
        resp = webob.Request.blank(path).get_response(dashboard)
        assert "script-src 'self'" in resp.headers['Content-Security-Policy'], path
        assert resp.headers['X-Frame-Options'] == 'DENY'
        assert resp.headers['X-Content-Type-Options'] == 'nosniff'
        assert resp.headers['Referrer-Policy'] == 'same-origin'
    resp = webob.Request.blank('/login', method='POST').get_response(dashboard)
    assert resp.status_int == 403 and 'text/html' in resp.content_type


def test_no_inline_script_or_style_in_templates():
    folder = os.path.join(ROOT, 'iaas', 'dashboard', 'templates')
    for name in os.listdir(folder):
        with open(os.path.join(folder, name)) as f:
            text = f.read()
        assert not re.search(r'<script(?![^>]*\bsrc=)', text), name
        assert not re.search(r'\son[a-z]+=', text), name
        assert ' style=' not in text and '<style' not in text, name


def test_vendored_files_match_their_pins():
    with open(os.path.join(ROOT, 'tools', 'build-dashboard-assets.sh')) as f:
        pins = PIN_RE.findall(f.read())
    assert pins, 'no pinned assets found'
    for _pkg, _path, name, sha in pins:
        with open(os.path.join(ROOT, 'iaas', 'dashboard', 'static', 'vendor', name),
                  'rb') as f:
            assert hashlib.sha256(f.read()).hexdigest() == sha, name
    r = subprocess.run(['bash', os.path.join(ROOT, 'tools', 'build-dashboard-assets.sh'),
                        '--check'], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


def test_javascript_and_css_small():
    assert static.compressed_size() <= 300 * 1024


def test_session_with_an_expired_token_is_not_logged_in():
    s = session.Session({'csrf': 'c', 'token': 't', 'expires_at': '2000-01-01T00:00:00Z'})
    assert not s.logged_in and s.expired
    s = session.Session({'csrf': 'c', 'token': 't', 'expires_at': '2999-01-01T00:00:00Z'})
    assert s.logged_in
    assert not session.Session({'csrf': 'c', 'token': 't', 'expires_at': 'junk'}).logged_in
    fresh = session.Session()
    assert fresh.dirty and not fresh.logged_in and len(fresh.csrf) >= 32


def test_login_redirect_target_stays_on_this_site():
    assert login._next(webob.Request.blank('/login?next=/instances')) == '/instances'
    for bad in ('//evil.example/', 'https://evil.example/', '/\\evil.example', 'x'):
        assert login._next(webob.Request.blank('/login', POST={'next': bad})) == '/'


def test_static_files_leave_the_session_alone(conf):
    dashboard = app.build_app(key=Fernet.generate_key())
    resp = webob.Request.blank('/static/dashboard.css').get_response(dashboard)
    assert resp.status_int == 200 and 'Set-Cookie' not in resp.headers
    resp = webob.Request.blank('/login').get_response(dashboard)
    assert resp.headers['Set-Cookie'].startswith('iaas_session=')
