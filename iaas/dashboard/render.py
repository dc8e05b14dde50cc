"""Pages: Jinja2 templates (autoescaped) in the page frame, redirects,
flash messages, and the user's view of the cloud for a request."""
import concurrent.futures
import contextlib
import datetime as dt
import re

import jinja2
import webob

from iaas import wsgi
from iaas.cli.errors import APIError, CLIError
from iaas.conf import CONF
from iaas.dashboard import apis, session, static

ENV = jinja2.Environment(
    loader=jinja2.PackageLoader('iaas.dashboard', 'templates'),
    autoescape=jinja2.select_autoescape(['html']), trim_blocks=True, lstrip_blocks=True)
ENV.globals['static_url'] = static.url
ENV.globals['csrf_field'] = session.CSRF_FIELD

NAV = [('/', 'Overview'), ('/instances', 'Instances'), ('/images', 'Images'),
       ('/keypairs', 'Key pairs')]
# shown to a session whose project token has the admin role (iaas/dashboard/admin.py)
ADMIN_LINK = [('/admin/hypervisors', 'Admin')]
NAV += [('/volumes', 'Volumes'), ('/usage', 'Usage'), ('/credentials', 'API credentials')]
# A nav entry shown only when the catalog has this service type.
NAV_NEEDS = {'/volumes': 'volumev3', '/usage': 'rating'}
NAV.append(('/objects', 'Object storage'))
NAV_NEEDS['/objects'] = 'object-store'
NAV.append(('/network', 'Network'))
NAV_NEEDS['/network'] = 'network'
# Ids the APIs use (uuids, hex): anything else is a 404 before any API call.
ID_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$')


def sess(req):
    return req.environ[session.ENVIRON_KEY]


def cloud(req):
    """The public APIs with this user's token (one per request)."""
    c = req.environ.get('iaas.dashboard.cloud')
    if c is None:
        c = req.environ['iaas.dashboard.cloud'] = apis.Cloud(sess(req))
    return c


# API calls of one page that do not depend on each other run side by side
# (each worker thread has its own HTTP session, see apis.transport).
_POOL = concurrent.futures.ThreadPoolExecutor(max_workers=8,
                                              thread_name_prefix='dashboard-fetch')


def fetch_parallel(req, *calls):
    """Results of ``call(cloud)`` for each call, run concurrently, each with
    its own :class:`apis.Cloud` for this request's user; the first error is
    raised (after every call has finished, so none outlives the request)."""
    s = sess(req)
    futures = [_POOL.submit(lambda f=f: f(apis.Cloud(s))) for f in calls]
    concurrent.futures.wait(futures)
    return [f.result() for f in futures]


def check_id(value):
    if not isinstance(value, str) or not ID_RE.match(value) or set(value) == {'.'}:
        raise wsgi.NotFound('Not found: it does not exist, or it is not yours.')
    return value


def _frame(req):
    """What the page frame shows: user, project, switcher, messages."""
    s = sess(req)
    ctx = {'csrf_token': s.csrf, 'flashes': s.pop_flashes(), 'path': req.path,
           'logged_in': s.logged_in, 'nav': NAV,
           'admin_links': ADMIN_LINK if s.get('admin') else []}
    if s.logged_in:
        ctx.update(user_name=s.get('user_name'), project_name=s.get('project_name'),
                   project_id=s.get('project_id'), projects=_projects(s))
        ctx['nav'] = [n for n in NAV if _shown(req, n[0])]
    return ctx


def _shown(req, href):
    """Whether the nav entry ``href`` is shown (its service is in the catalog)."""
    need = NAV_NEEDS.get(href)
    if need is None:
        return True
    try:
        return cloud(req).has(need)
    except (APIError, CLIError):
        return False


def _projects(s):
    try:
        return apis.cached_projects(s.get('unscoped'))
    except APIError:
        return [{'id': s.get('project_id'), 'name': s.get('project_name')}]


def page(req, template, status=200, **ctx):
    """A full page (or, for ``template`` starting with '_', a fragment)."""
    if template.startswith('_'):
        body = ENV.get_template(template).render(csrf_token=sess(req).csrf, **ctx)
    else:
        body = ENV.get_template(template).render(**_frame(req), **ctx)
    resp = webob.Response(body=body.encode(), status=status,
                          content_type='text/html', charset='utf-8')
    resp.headers['Cache-Control'] = 'no-store'
    return resp


def error_page(code, title, message):
    """A page for an error (no request at hand: a frame without the user)."""
    body = ENV.get_template('error.html').render(code=code, title=title, message=message,
                                                 flashes=[], nav=[], admin_links=[],
                                                 logged_in=False)
    resp = webob.Response(body=body.encode(), status=code, content_type='text/html',
                          charset='utf-8')
    resp.headers['Cache-Control'] = 'no-store'
    return resp


def redirect(req, location, message=None, level='info'):
    """303 to ``location`` (a path of ours), with a message for the next page."""
    if message:
        sess(req).flash(message, level)
    resp = webob.Response(status=303)
    resp.headers['Location'] = location
    resp.headers['Cache-Control'] = 'no-store'
    return resp


@contextlib.contextmanager
def flash_errors(req):
    """Inside: an API's refusal of a user's request (a bad value, a conflict,
    a quota) becomes a message on the next page; ``ok`` is False then. A
    404 or 401 still propagates (not found / log in again)."""
    state = {'ok': True}
    try:
        yield state
    except APIError as exc:
        if exc.status in (401, 404) or exc.status >= 500:
            raise
        state['ok'] = False
        sess(req).flash(exc.api_message, 'error')


def form(req, name, default='', maximum=255):
    """A form field as text; 400 when longer than ``maximum`` characters."""
    value = req.POST.get(name, default)
    if not isinstance(value, str):
        return default
    if len(value) > maximum:
        raise wsgi.BadRequest(f'The field {name!r} is longer than {maximum} characters.')
    return value


# --- formatting --------------------------------------------------------------------------

def _ago(value):
    try:
        t = dt.datetime.fromisoformat(str(value).replace('Z', '+00:00'))
    except ValueError:
        return value
    return t.strftime('%Y-%m-%d %H:%M UTC')


def size(n):
    """Bytes for people: 4.0 KiB, 1.5 GiB."""
    if n is None:
        return '–'
    for unit in ('B', 'KiB', 'MiB', 'GiB'):
        if n < 1024 or unit == 'GiB':
            return f'{n:.0f} {unit}' if unit == 'B' else f'{n:.1f} {unit}'
        n /= 1024
    return str(n)


ENV.filters['when'] = _ago
ENV.filters['bytes'] = size




def poll_trigger(busy=True):
    """htmx polling: every ``poll_interval`` s while something changes, five
    times slower while nothing does."""
    interval = CONF.dashboard.poll_interval
    return f'every {interval if busy else 5 * interval}s'


ENV.globals['poll_trigger'] = poll_trigger
