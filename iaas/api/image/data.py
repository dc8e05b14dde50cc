"""/v2/images/{id}/file: streaming upload and download.

Upload: queued → saving (a compare-and-swap that also reserves the
announced size against the project's quota), then the request body flows
in 1 MiB chunks through one pass that counts, hashes (MD5 and SHA-512),
inspects the format (:mod:`iaas.common.inspection`) and hands the chunk to the store. Every check that can
refuse the upload raises *inside* that pass, so the store discards what it
wrote; the image then goes back to ``queued``. Only when the store has the
whole, verified image does saving → active happen, together with the
location, in one transaction.

Download: the store's chunks go straight to the client; ``Range`` gives a
206 with one byte range; ``Content-MD5`` carries the image checksum.
"""
import base64
import binascii
import functools
import logging
import re
import time

import webob

from iaas import wsgi
from iaas.api.image import access
from iaas.common import inspection
from iaas.conf import CONF
from iaas.image import api as images
from iaas.image import janitor, states, stores
from iaas.image.hashing import ParallelHashes

LOG = logging.getLogger(__name__)

CHUNK = stores.CHUNK


class UploadRefused(Exception):
    """The upload cannot become an image; ``code`` is the HTTP status."""
    code = 400


class ClientGone(UploadRefused):
    pass


class QuotaExceeded(UploadRefused):
    code = 413


def _expected_size(req):
    length = req.content_length
    hint = req.headers.get('X-OpenStack-Image-Size')
    if hint is not None:
        try:
            hint = int(hint)
        except ValueError:
            raise wsgi.BadRequest('X-OpenStack-Image-Size must be an integer') from None
        if hint < 0:
            raise wsgi.BadRequest('X-OpenStack-Image-Size must not be negative')
        if length is not None and hint != length:
            raise wsgi.BadRequest(f'X-OpenStack-Image-Size {hint} does not match '
                                  f'Content-Length {length}')
    return length if length is not None else hint


def _content_md5(req):
    raw = req.headers.get('Content-MD5')
    if not raw:
        return None
    raw = raw.strip()
    if re.fullmatch(r'[0-9a-fA-F]{32}', raw):
        return raw.lower()
    try:
        digest = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        digest = b''
    if len(digest) != 16:
        raise wsgi.BadRequest('Content-MD5 is neither hex nor base64 of an MD5 digest')
    return digest.hex()


class UploadPass:
    """The one pass over the request body: count, hash, inspect, limit."""

    def __init__(self, inp, expected, limit, disk_format, content_md5=None):
        self.inp = inp
        self.expected = expected
        self.limit = limit
        self.disk_format = disk_format
        self.content_md5 = content_md5
        self.hashes = ParallelHashes(('md5', 'sha512'))
        self.md5 = self.sha512 = None    # hex digests, once the pass is complete
        self.inspector = inspection.StreamInspector()
        self.size = 0
        self.info = None
        # For uploads of unknown size under a quota: reserve(total) grows the
        # image's reservation to at least ``total`` (or raises QuotaExceeded).
        self.reserve = None
        self.reserved = 0
        # progress(): called at least every PROGRESS_INTERVAL s while data flows
        self.progress = None
        self._last_progress = time.monotonic()

    def _check_format(self):
        self.info = self.inspector.info()
        try:
            inspection.check(self.info, self.disk_format,
                             require_match=CONF.image.require_image_format_match)
        except inspection.ImageFormatError as exc:
            raise UploadRefused(str(exc)) from None

    def _read(self, n):
        try:
            return self.inp.read(n)
        except Exception as exc:   # socket errors, time-outs, bad chunked encoding
            raise ClientGone(f'Error reading the upload after {self.size} bytes: '
                             f'{type(exc).__name__}') from None

    def __iter__(self):
        try:
            yield from self._pass()
        finally:
            self.hashes.close()

    def _pass(self):
        expected = self.expected
        while True:
            want = CHUNK if expected is None else min(CHUNK, expected - self.size)
            if want <= 0:
                break
            chunk = self._read(want)
            if not chunk:
                break
            self.size += len(chunk)
            if self.size > self.limit:
                raise QuotaExceeded('Image storage quota or size limit exceeded: the '
                                    f'upload is larger than {self.limit} bytes')
            if self.reserve is not None and self.size > self.reserved:
                self.reserved = self.reserve(self.size, self.reserved)
            if self.progress is not None and \
                    time.monotonic() - self._last_progress > janitor.PROGRESS_INTERVAL:
                self._last_progress = time.monotonic()
                self.progress()
            self.hashes.update(chunk)
            if self.info is None:
                self.inspector.feed(chunk)
                if self.inspector.decided:
                    self._check_format()
            yield chunk
        if expected is not None and self.size < expected:
            raise ClientGone(f'The upload ended after {self.size} of {expected} bytes')
        if expected is not None and self.inp is not None and self.expected_from_hint:
            if self._read(1):
                raise UploadRefused(f'The upload is larger than the announced {expected} bytes')
        if self.info is None:
            self._check_format()
        digests = self.hashes.hexdigests()
        self.md5, self.sha512 = digests['md5'], digests['sha512']
        if self.content_md5 and self.content_md5 != self.md5:
            raise UploadRefused(f'Checksum mismatch: Content-MD5 is {self.content_md5}, '
                                f'the data has {self.md5}')

    expected_from_hint = False


def _quota_room(project_id, own_reservation):
    """Bytes the project may still add, or None without a quota."""
    quota = CONF.image.user_storage_quota
    if not quota:
        return None
    return quota - (images.project_usage(project_id) - own_reservation)


@wsgi.route_policy('image:upload_image')
def upload(req, image_id):
    try:
        return _upload(req, image_id)
    except wsgi.Fault as fault:
        # The body may be partly unread: this connection cannot carry
        # another request.
        fault.headers['Connection'] = 'close'
        raise


def _upload(req, image_id):
    ctx = req.context
    ctype = (req.content_type or '').lower()
    if ctype != 'application/octet-stream':
        raise wsgi.UnsupportedMediaType(f'Unsupported Content-Type {ctype or "(none)"}; '
                                        'image data must be application/octet-stream')
    image = access.get_for(ctx, image_id, 'image:upload_image')
    if image['status'] != 'queued':
        raise wsgi.Conflict(f"Image status transition from {image['status']} to saving "
                            'is not allowed')
    if not image['disk_format'] or not image['container_format']:
        raise wsgi.BadRequest('Properties disk_format and container_format must be set '
                              'before uploading image data')
    if not inspection.inspectable(image['disk_format']):
        raise wsgi.BadRequest(f"disk_format {image['disk_format']} cannot be inspected, so "
                              'its data is not accepted')
    expected = _expected_size(req)
    content_md5 = _content_md5(req)
    limit = CONF.image.image_size_cap
    if expected is not None and expected > limit:
        raise wsgi.RequestTooLarge(f'Image size {expected} exceeds the limit of {limit} bytes')
    owner = image['owner']
    room = _quota_room(owner, 0)
    if room is not None and (expected or 0) > room:
        raise wsgi.RequestTooLarge(f'Denying attempt to upload image because it exceeds the '
                                   f'quota: {expected} bytes requested, {max(room, 0)} left')
    reserved = expected or 0
    if not states.transition(image_id, states.QUEUED, states.SAVING, reserved_size=reserved):
        raise wsgi.Conflict('Image is being uploaded by another request or changed state')
    # Recheck after reserving: two concurrent uploads cannot both slip under.
    room = _quota_room(owner, reserved)
    try:
        if room is not None:
            if reserved > room:
                raise QuotaExceeded('Denying attempt to upload image because it exceeds '
                                    'the quota')
            limit = min(limit, room)
        store_name = CONF.image.default_store
        store = stores.get_store(store_name)
        inp = req.environ['wsgi.input']
        chunks = UploadPass(inp, expected, limit, image['disk_format'], content_md5)
        chunks.expected_from_hint = req.content_length is None and expected is not None
        chunks.progress = functools.partial(_touch, image_id)
        if room is not None and expected is None:
            chunks.reserve = functools.partial(_grow_reservation, image_id, owner)
        url, meta = store.add(image_id, chunks, expected)
    except UploadRefused as exc:
        _back_to_queued(image_id)
        LOG.info('upload of image %s refused: %s', image_id, exc)
        raise wsgi.Fault(str(exc), code=exc.code) from None
    except stores.StoreError as exc:
        _back_to_queued(image_id)
        LOG.error('upload of image %s failed in the store: %s', image_id, exc)
        raise wsgi.Fault('The image store failed; the upload was not kept.', code=503) from None
    except BaseException:
        _back_to_queued(image_id)
        raise
    values = {'size': chunks.size, 'checksum': chunks.md5,
              'os_hash_algo': 'sha512', 'os_hash_value': chunks.sha512,
              'virtual_size': _virtual_size(chunks)}
    if not states.activate(image_id, values, store_name, url, meta):
        images.delete_data(image_id, [{'store': store_name, 'url': url, 'meta': meta}])
        raise wsgi.Fault(f'Image {image_id} was deleted or changed during the upload',
                         code=410)
    return 204, None


RESERVE_STEP = 64 << 20


def _touch(image_id):
    """Show the janitor this upload is alive."""
    if not states.transition(image_id, states.SAVING, states.SAVING):
        raise UploadRefused(f'Image {image_id} left the saving state during the upload')


def _grow_reservation(image_id, owner, needed, current):
    """Reserve room for an upload of unknown size as it grows (in steps of
    RESERVE_STEP), with the same reserve-then-recheck as a sized upload;
    returns the new reservation."""
    room = _quota_room(owner, current)          # what the others leave us
    if needed > room:
        raise QuotaExceeded('Denying attempt to upload image because it exceeds the quota')
    new = max(needed, min(needed + RESERVE_STEP, room))
    if not states.transition(image_id, states.SAVING, states.SAVING, reserved_size=new):
        raise UploadRefused(f'Image {image_id} left the saving state during the upload')
    if new > _quota_room(owner, new):
        raise QuotaExceeded('Denying attempt to upload image because it exceeds the quota')
    return new


def _virtual_size(chunks):
    info = chunks.info
    if info is None:
        return None
    # the inspector stops early: a plain format's size is the whole upload's
    return chunks.size if info.format in inspection.PLAIN else info.virtual_size


def _back_to_queued(image_id):
    try:
        states.transition(image_id, states.SAVING, states.QUEUED, reserved_size=0)
    except Exception:
        LOG.exception('could not return image %s to queued', image_id)


# -- download ---------------------------------------------------------------

_RANGE = re.compile(r'^bytes=(\d*)-(\d*)$')


def _parse_range(header, size):
    """(offset, length) of a single byte range; None to serve everything."""
    if not header:
        return None
    m = _RANGE.match(header.strip())
    if not m:
        return None     # multiple or unknown ranges: a 200 with everything
    first, last = m.group(1), m.group(2)
    if first == '' and last == '':
        return None
    if first == '':
        n = int(last)
        if n == 0:
            raise _unsatisfiable(size)
        n = min(n, size)
        return size - n, n
    start = int(first)
    end = size - 1 if last == '' else min(int(last), size - 1)
    if start >= size or end < start:
        raise _unsatisfiable(size)
    return start, end - start + 1


def _unsatisfiable(size):
    return wsgi.Fault(f'Requested range not satisfiable (image size {size})', code=416,
                      headers={'Content-Range': f'bytes */{size}'})


@wsgi.route_policy('image:download_image')
def download(req, image_id):
    ctx = req.context
    image = access.get_visible(ctx, image_id, 'image:download_image')
    if image['status'] == 'deactivated' and \
            not access.allowed(ctx, 'image:download_image:deactivated',
                               access.owner_target(image)):
        raise wsgi.Forbidden('The requested image has been deactivated. Image data '
                             'download is forbidden.')
    locations = image['locations']
    if image['status'] not in ('active', 'deactivated') or not locations:
        return webob.Response(status=204)
    size = image['size'] or 0
    rng = _parse_range(req.headers.get('Range'), size)
    offset, length = rng if rng else (0, size)
    loc = locations[0]
    try:
        body = stores.get_store(loc['store']).get(loc['url'], loc['meta'], offset, length)
    except stores.NotFoundInStore:
        raise wsgi.Fault(f'Image data of {image_id} is missing from its store',
                         code=503) from None
    except stores.UnknownStore as exc:
        raise wsgi.Fault(str(exc), code=503) from None
    resp = webob.Response(status=206 if rng else 200, app_iter=body,
                          content_type='application/octet-stream', charset=None,
                          conditional_response=False)
    resp.content_length = length
    resp.headers['Accept-Ranges'] = 'bytes'
    if rng:
        resp.headers['Content-Range'] = f'bytes {offset}-{offset + length - 1}/{size}'
    elif image['checksum']:
        resp.headers['Content-MD5'] = image['checksum']
    return resp
