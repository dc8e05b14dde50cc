"""Small helpers every S3 module uses (the app, multipart uploads, the
extensions): in a module of their own so none of them imports the app."""
import datetime

SEGMENTS = '+segments'


def s3_time(iso):
    """'2026-11-26T23:40:01.123450' → '2026-11-26T23:40:02.000Z': rounded up
    to the second, as HEAD's Last-Modified is (so the two compare equal)."""
    if not iso:
        return ''
    try:
        t = datetime.datetime.fromisoformat(iso[:26].rstrip('Z'))
    except ValueError:
        return iso[:23] + 'Z'
    if t.microsecond:
        t = t.replace(microsecond=0) + datetime.timedelta(seconds=1)
    return t.strftime('%Y-%m-%dT%H:%M:%S.000Z')


def _quote_etag(etag):
    etag = (etag or '').strip('"')
    return f'"{etag}"'


def _status_code(status):
    return {401: 'AccessDenied', 403: 'AccessDenied', 404: 'NoSuchKey',
            409: 'BucketNotEmpty', 411: 'MissingContentLength', 412: 'PreconditionFailed',
            413: 'EntityTooLarge', 416: 'InvalidRange', 422: 'BadDigest',
            400: 'InvalidArgument', 503: 'ServiceUnavailable'}.get(status, 'InternalError')


def s3_etag(headers):
    """The S3 ETag of an object from its Swift headers (unquoted)."""
    return (headers.get('X-Object-Sysmeta-S3-Etag') or headers.get('ETag', '')).strip('"')
