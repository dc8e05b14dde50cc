"""Log in, log out, sign up and switch project.

Login: the user's password gets an unscoped token (kept in the session to
rescope later), then a token of the chosen project (or the first one the
user has a role on). Every attempt costs one token of the client address's
bucket (iaas.api.ratelimit.TokenBuckets, ``[dashboard] login_rate`` /
``login_burst``); the identity API applies its own limits behind it.
"""
import math
import threading

from iaas import wsgi
from iaas.api.ratelimit import TokenBuckets
from iaas.cli.errors import APIError
from iaas.conf import CONF
from iaas.dashboard import admin, apis, render

_lock = threading.Lock()
_buckets = []


def _check_rate(req):
    """429 when this client address tried to log in or sign up too often."""
    rate, burst = CONF.dashboard.login_rate, CONF.dashboard.login_burst
    if not rate:
        return
    with _lock:
        if not _buckets or (_buckets[0].rate, _buckets[0].burst) != (rate, burst):
            _buckets[:] = [TokenBuckets(rate, burst)]
        buckets = _buckets[0]
    wait = buckets.take(req.remote_addr or '?')
    if wait:
        raise wsgi.TooManyRequests(
            'Too many attempts from your address; wait a little and try again.',
            headers={'Retry-After': str(max(1, math.ceil(wait)))})


def _next(req):
    """Where to go after login: a path of ours only (never another site)."""
    target = req.params.get('next') or '/'
    if not isinstance(target, str) or not target.startswith('/') or \
            target.startswith('//') or '\\' in target:
        return '/'
    return target


@wsgi.public
def login_form(req):
    if render.sess(req).logged_in:
        return render.redirect(req, _next(req))
    return render.page(req, 'login.html', next=_next(req), username='',
                       domain='Default', project='', signup=apis.signup_available())


def _login_failed(req, message, status, **fields):
    return render.page(req, 'login.html', status=status, error=message, next=_next(req),
                       signup=apis.signup_available(), **fields)


@wsgi.public
def login(req):
    username = render.form(req, 'username', maximum=255).strip()
    password = render.form(req, 'password', maximum=4096)
    domain = render.form(req, 'domain', 'Default', maximum=255).strip() or 'Default'
    project = render.form(req, 'project', maximum=255).strip()
    fields = {'username': username, 'domain': domain, 'project': project}
    if not username or not password:
        return _login_failed(req, 'Enter your user name and password.', 400, **fields)
    _check_rate(req)
    try:
        unscoped, body = apis.password_token(username, password, domain)
    except APIError as exc:
        if exc.status == 429:
            return _login_failed(req, 'Too many failed attempts; try again later.', 429,
                                 **fields)
        if exc.status in (400, 401, 403, 404):
            return _login_failed(req, 'Wrong user name, password or domain.', 401,
                                 **fields)
        raise
    projects = apis.user_projects(unscoped)
    chosen = [p for p in projects if project in (p['id'], p.get('name'))] if project \
        else projects
    if not chosen:
        apis.revoke(unscoped)
        message = (f'You have no role on a project named {project!r}.' if project else
                   'Your account has no role on any project yet; ask an administrator.')
        return _login_failed(req, message, 403, **fields)
    _start_session(req, unscoped, chosen[0]['id'], body['user'])
    return render.redirect(req, _next(req))


def _start_session(req, unscoped, project_id, user):
    token, data = apis.project_token(unscoped, project_id)
    render.sess(req).login(
        token=token, unscoped=unscoped, expires_at=data['expires_at'],
        user_id=user['id'], user_name=user.get('name') or user['id'],
        project_id=data['project']['id'], project_name=data['project'].get('name'),
        admin=admin.is_admin(data.get('roles')))


def logout(req):
    s = render.sess(req)
    token, unscoped = s.get('token'), s.get('unscoped')
    if token:
        apis.revoke(token)
    if unscoped:
        apis.revoke(unscoped)
    s.clear()
    return render.redirect(req, '/login', 'You are logged out.')


def switch_project(req):
    s = render.sess(req)
    project_id = render.form(req, 'project_id', maximum=64)
    if project_id == s.get('project_id'):
        return render.redirect(req, '/')
    if project_id not in {p['id'] for p in apis.cached_projects(s.get('unscoped'))}:
        raise wsgi.NotFound('You have no role on that project.')
    old = s.get('token')
    user = {'id': s.get('user_id'), 'name': s.get('user_name')}
    _start_session(req, s.get('unscoped'), project_id, user)
    apis.revoke(old)
    return render.redirect(req, '/', f'Now working in project {s.get("project_name")}.')


@wsgi.public
def signup_form(req):
    return render.page(req, 'signup.html', username='', email='', project='',
                       available=apis.signup_available())


@wsgi.public
def signup(req):
    fields = {'username': render.form(req, 'username', maximum=255).strip(),
              'email': render.form(req, 'email', maximum=255).strip(),
              'project': render.form(req, 'project', maximum=255).strip()}
    password = render.form(req, 'password', maximum=4096)
    if password != render.form(req, 'password2', maximum=4096):
        return render.page(req, 'signup.html', status=400, available=True,
                           error='The two passwords differ.', **fields)
    _check_rate(req)
    try:
        apis.signup(fields['username'], password, fields['email'] or None,
                    fields['project'] or None)
    except APIError as exc:
        if exc.status >= 500:
            raise
        return render.page(req, 'signup.html', status=exc.status, available=True,
                           error=exc.api_message, **fields)
    return render.redirect(req, '/login', 'Your account is ready: log in.')


def add_routes(router):
    router.add('GET', '/login', login_form)
    router.add('POST', '/login', login)
    router.add('POST', '/logout', logout)
    router.add('POST', '/project', switch_project)
    router.add('GET', '/signup', signup_form)
    router.add('POST', '/signup', signup)
