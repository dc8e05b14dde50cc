"""Console auth tokens: what a console URL carries.

A token is 32 random bytes (URL-safe base64); only its sha256 is stored
(:mod:`iaas.db.console_auth_tokens`), bound to the instance, its project
and the serial endpoint (host, port) its compute host reported. The proxy
consumes a token once, before ``[serial_console] token_ttl`` runs out, and
only while the instance is still on that compute host (a port a deleted
guest left may serve another guest later).
"""
import hashlib
import logging
import secrets
from urllib.parse import urlsplit

from iaas.conf import CONF
from iaas.db import console_auth_tokens as db
from iaas.db import instances as db_instances

LOG = logging.getLogger(__name__)

SERIAL = 'serial'
MAX_TOKEN_LEN = 128


def digest(token):
    return hashlib.sha256(token.encode('utf-8', 'surrogateescape')).hexdigest()


def base_url():
    sc = CONF.serial_console
    return sc.base_url or f'ws://{CONF.api.public_host}:{sc.serialproxy_port}/'


def access_url(token, base=None):
    base = base or base_url()
    return f'{base}{"&" if "?" in base else "?"}token={token}'


def issue(instance, console_type, host, port, ttl=None):
    """A new token for ``instance``'s console at (host, port): (token, URL)."""
    token = secrets.token_urlsafe(32)
    base = base_url()
    try:
        db.reap()
    except Exception:        # upkeep only: a failed reap never refuses a console
        LOG.exception('could not reap expired console tokens')
    db.create(digest(token), console_type, instance['uuid'], instance['project_id'], host,
              port, ttl or CONF.serial_console.token_ttl, compute_host=instance.get('host'),
              access_url_base=base)
    return token, access_url(token, base)


def _well_formed(token):
    return isinstance(token, str) and 0 < len(token) <= MAX_TOKEN_LEN and token.isascii()


def show(token):
    """The unused, unexpired token's record (it stays usable), or None."""
    if not _well_formed(token):
        return None
    return db.get_valid(digest(token))


def _still_there(rec):
    try:
        inst = db_instances.get(rec['instance_uuid'])
    except db_instances.InstanceNotFound:
        return False
    return inst['project_id'] == rec['project_id'] and \
        (rec['compute_host'] is None or inst['host'] == rec['compute_host'])


def consume(token, instance_uuid=None):
    """Use ``token`` (once): its record — the endpoint to connect to — or
    None when it is unknown, used, expired, bound to another instance than
    ``instance_uuid`` (when given) or its instance left that host."""
    if not _well_formed(token):
        return None
    rec = db.consume(digest(token), instance_uuid=instance_uuid)
    if rec is None or not _still_there(rec):
        return None
    return rec


def origin_allowed(origin, dashboard_url=None):
    """Whether a browser page from ``origin`` may open a console: the host
    of base_url (any scheme/port), [serial_console] allowed_origins, the
    dashboard's public_url."""
    if not origin:
        return True        # not a browser: nothing to forge
    o = origin.strip().lower().rstrip('/')
    try:
        host = urlsplit(o).hostname
    except ValueError:
        return False
    if host and host == (urlsplit(base_url()).hostname or '').lower():
        return True
    allowed = [a.strip().lower().rstrip('/') for a in CONF.serial_console.allowed_origins]
    if dashboard_url:
        p = urlsplit(dashboard_url)
        allowed.append(f'{p.scheme}://{p.netloc}'.lower())
    return o in allowed


def reap():
    return db.reap()
