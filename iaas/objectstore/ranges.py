"""HTTP ranges and conditional requests at the proxy, as Swift answers them.

* :func:`parse` reads a ``Range`` header like Swift's swob.Range: a header
  that does not parse is ignored (the whole body, 200); ranges past the end
  are dropped; none left is 416; one is a 206 with Content-Range; several
  are a ``multipart/byteranges`` 206 (:func:`multipart`).
* :func:`precondition` answers If-Match / If-None-Match /
  If-(Un)Modified-Since with 412 or 304 against an object's ETag and
  Last-Modified (ETags compared unquoted).
"""
import email.utils
import uuid

MAX_RANGES = 100


def specs(header):
    """[(first, last)] of a Range header (None for a suffix/open end), or
    None when the header is absent or does not parse (then it is ignored)."""
    if not header:
        return None
    unit, _, rest = header.strip().partition('=')
    if unit.strip().lower() != 'bytes' or not rest.strip():
        return None
    out = []
    for part in rest.split(','):
        part = part.strip()
        if not part:
            continue
        first, sep, last = part.partition('-')
        first, last = first.strip(), last.strip()
        if not sep or (first and not first.isdigit()) or (last and not last.isdigit()) or \
                (not first and not last):
            return None
        first = int(first) if first else None
        last = int(last) if last else None
        if first is not None and last is not None and last < first:
            return None
        out.append((first, last))
    if not out or len(out) > MAX_RANGES:
        return None
    return out


def satisfiable(spec_list, length):
    """[(start, stop)] (stop exclusive) of the ranges that fall in ``length``."""
    out = []
    for first, last in spec_list:
        if first is None:                 # suffix: the last N bytes
            if last == 0 or length == 0:
                continue
            out.append((max(0, length - last), length))
        elif first < length:
            stop = length if last is None else min(last + 1, length)
            out.append((first, stop))
    return out


def parse(header, length):
    """None (whole body), [] (416) or [(start, stop)]."""
    s = specs(header)
    if s is None:
        return None
    return satisfiable(s, length)


def content_range(start, stop, length):
    return f'bytes {start}-{stop - 1}/{length}'


def multipart(ranges, length, content_type, read_range):
    """(content type, content length, body iterator) of a multipart/byteranges
    answer; ``read_range(start, stop)`` yields that slice of the body."""
    boundary = uuid.uuid4().hex
    heads = [(f'--{boundary}\r\nContent-Type: {content_type}\r\n'
              f'Content-Range: {content_range(a, b, length)}\r\n\r\n').encode()
             for a, b in ranges]
    tail = f'--{boundary}--'.encode()
    total = sum(len(h) + (b - a) + 2 for h, (a, b) in zip(heads, ranges, strict=True)) + \
        len(tail)

    def body():
        for head, (a, b) in zip(heads, ranges, strict=True):
            yield head
            yield from read_range(a, b)
            yield b'\r\n'
        yield tail
    return f'multipart/byteranges;boundary={boundary}', total, body()


def _etags(value):
    return {t.strip().strip('"') for t in value.split(',') if t.strip()}


def _date(value):
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return None if parsed is None else parsed.timestamp()


def precondition(headers, etag, last_modified, method='GET'):
    """412, 304 or None for a request's conditional headers.

    ``etag`` unquoted; ``last_modified`` a unix time in whole seconds."""
    etag = (etag or '').strip('"')
    im = headers.get('If-Match')
    if im is not None:
        tags = _etags(im)
        if '*' not in tags and etag not in tags:
            return 412
    inm = headers.get('If-None-Match')
    if inm is not None:
        tags = _etags(inm)
        if '*' in tags or etag in tags:
            return 304 if method in ('GET', 'HEAD') else 412
    elif headers.get('If-Modified-Since') and method in ('GET', 'HEAD'):
        since = _date(headers['If-Modified-Since'])
        if since is not None and last_modified is not None and last_modified <= since:
            return 304
    if headers.get('If-Unmodified-Since'):      # Swift checks it even after If-Match
        since = _date(headers['If-Unmodified-Since'])
        if since is not None and last_modified is not None and last_modified > since:
            return 412
    return None


def last_modified_of(headers):
    value = headers.get('Last-Modified')
    return _date(value) if value else None
