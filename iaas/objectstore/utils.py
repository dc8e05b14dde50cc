"""Small helpers shared by the object store's servers and proxy."""
import email.utils
import os
import time
import urllib.parse

MAX_META_NAME = 128
MAX_META_VALUE = 256
MAX_META_COUNT = 90
MAX_META_OVERALL = 4096
MAX_OBJECT_NAME = 1024
MAX_CONTAINER_NAME = 256
MAX_ACCOUNT_NAME = 256


def normalize_timestamp(ts=None):
    """Swift's timestamp string: fixed width, sorts like the number."""
    return '%016.05f' % (time.time() if ts is None else float(ts))


def http_date(ts):
    return email.utils.formatdate(float(ts), usegmt=True)


def iso_ms(ts):
    """2026-11-26T23:40:01.123450 (Swift listing last_modified)."""
    t = float(ts)
    return time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(t)) + '.%06d' % int(
        round((t - int(t)) * 1e6) % 1000000)


def wsgi_to_str(value):
    """A header value as read off the wire (latin-1 of UTF-8 bytes) → text."""
    try:
        return value.encode('latin-1').decode('utf-8')
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def quote(s):
    return urllib.parse.quote(s, safe='/')


def split_path(path, minsegs, maxsegs, rest_with_last=False):
    """'/a/b/c/d' → ['a','b','c/d'] (rest_with_last) with segment count checks."""
    parts = path.lstrip('/').split('/', maxsegs - 1 if rest_with_last else -1)
    if not rest_with_last and len(parts) > maxsegs:
        raise ValueError('too many segments')
    if len(parts) < minsegs or any(not p for p in parts[:minsegs]):
        raise ValueError('too few segments')
    return parts + [None] * (maxsegs - len(parts))


def fsync_dir(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def mkdirs(path):
    os.makedirs(path, exist_ok=True)


# A directory that is empty for a moment (made, its file not yet in it) may
# be removed by the replicator's cleanup at that moment (as in Swift, whose
# link_fd_to_path retries the same way).
IN_DIR_TRIES = 10


def in_dir(path, action):
    """``action()`` after making the directory of ``path``; made again and
    retried when ``action`` finds it gone (FileNotFoundError)."""
    for attempt in range(IN_DIR_TRIES):
        try:
            # makedirs too: a parent it just made may be removed before the child
            mkdirs(os.path.dirname(path))
            return action()
        except FileNotFoundError:
            if attempt == IN_DIR_TRIES - 1:
                raise


def header_params(value):
    """(value, {parameter: value}) of a header ``value; k=v; …`` (names
    lowercased, a parameter without '=' has the value '')."""
    base, _, rest = value.partition(';')
    params = {}
    for item in rest.split(';'):
        k, _, v = item.strip().partition('=')
        if k:
            params[k.lower()] = v.strip()
    return base.strip(), params


def check_metadata(headers, kind):
    """Validate X-<kind>-Meta-* headers; return an error string or None."""
    prefix = f'x-{kind}-meta-'
    count = size = 0
    for key, value in headers.items():
        lk = key.lower()
        if not lk.startswith(prefix):
            continue
        name = lk[len(prefix):]
        if not name:
            return 'Metadata name cannot be empty'
        count += 1
        size += len(name) + len(value)
        if len(name) > MAX_META_NAME:
            return f'Metadata name too long; max {MAX_META_NAME}'
        if len(value) > MAX_META_VALUE:
            return f'Metadata value longer than {MAX_META_VALUE}'
    if count > MAX_META_COUNT:
        return f'Too many metadata items; max {MAX_META_COUNT}'
    if size > MAX_META_OVERALL:
        return f'Total metadata too large; max {MAX_META_OVERALL}'
    return None


def failed_precondition(req, etag, last_modified):
    """True when If-Match / If-Unmodified-Since rule the request out (→ 412).

    ``last_modified`` is a unix time (whole seconds, as sent in Last-Modified).
    """
    if 'If-Match' in req.headers and etag not in req.if_match:
        return True
    since = req.if_unmodified_since
    if since is not None and last_modified > since.timestamp():
        return True
    return False


S3_SUBREQUEST = 'iaas.objectstore.s3'   # environ: a subrequest of the S3 layer
INTERNAL = 'iaas.objectstore.internal'  # environ: a subrequest of the proxy's filters


def s3_sysmeta(req, kind):
    """The ``X-<kind>-Sysmeta-S3-*`` headers of a request when the S3 layer
    or the pipeline's own filters sent it (environ flags, never a header);
    nothing for a client's own."""
    if not (req.environ.get(S3_SUBREQUEST) or req.environ.get(INTERNAL)):
        return {}
    prefix = f'x-{kind}-sysmeta-s3-'
    return {k: v for k, v in req.headers.items() if k.lower().startswith(prefix)}
