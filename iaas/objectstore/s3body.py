"""S3 request bodies: aws-chunked decoding and x-amz-content-sha256 checks."""
import hashlib
import re

from iaas.objectstore.s3xml import S3Error

HEX64 = re.compile(r'^[0-9a-f]{64}$')


class Sha256Reader:
    """Passes bytes through; at the end fails if their sha256 is not ``want``."""

    def __init__(self, inp, want, length):
        self.inp, self.want, self.left = inp, want, length
        self.sha = hashlib.sha256()

    def read(self, n):
        if self.left <= 0:
            return b''
        data = self.inp.read(min(n, self.left))
        self.left -= len(data)
        self.sha.update(data)
        if (self.left <= 0 or not data) and self.sha.hexdigest() != self.want:
            raise S3Error('XAmzContentSHA256Mismatch')
        return data


class AwsChunkedReader:
    """Decodes ``aws-chunked`` bodies (signed or unsigned chunks, optional trailers)."""

    def __init__(self, inp, decoded_length):
        self.inp = inp
        self.left_in_chunk = 0
        self.done = False
        self.decoded_length = decoded_length
        self.seen = 0

    def _line(self):
        line = b''
        while not line.endswith(b'\r\n'):
            c = self.inp.read(1)
            if not c:
                raise S3Error('IncompleteBody', 'The request body terminated unexpectedly',
                              400)
            line += c
            if len(line) > 4096:
                raise S3Error('InvalidRequest', 'Bad aws-chunked encoding')
        return line[:-2]

    def read(self, n):
        if self.done:
            return b''
        if self.left_in_chunk == 0:
            header = self._line()
            try:
                size = int(header.split(b';', 1)[0], 16)
            except ValueError:
                raise S3Error('InvalidRequest', 'Bad aws-chunked encoding') from None
            if size == 0:
                while self._line():      # trailers, up to the empty line
                    pass
                self.done = True
                if self.seen != self.decoded_length:
                    raise S3Error('IncompleteBody', 'Body length does not match '
                                  'x-amz-decoded-content-length', 400)
                return b''
            self.left_in_chunk = size
        data = self.inp.read(min(n, self.left_in_chunk))
        if not data:
            raise S3Error('IncompleteBody', 'The request body terminated unexpectedly', 400)
        self.left_in_chunk -= len(data)
        self.seen += len(data)
        if self.left_in_chunk == 0:
            if self.inp.read(2) != b'\r\n':
                raise S3Error('InvalidRequest', 'Bad aws-chunked encoding')
        return data


def request_body(req):
    """(reader, length) for a PUT body, decoded and checked as the headers say."""
    sha = req.headers.get('x-amz-content-sha256', '')
    inp = req.environ['wsgi.input']
    if sha.startswith('STREAMING-') or 'aws-chunked' in req.headers.get('Content-Encoding', ''):
        try:
            length = int(req.headers['x-amz-decoded-content-length'])
        except (KeyError, ValueError):
            raise S3Error('MissingContentLength') from None
        return AwsChunkedReader(inp, length), length
    length = req.content_length
    if length is None:
        raise S3Error('MissingContentLength')
    if HEX64.match(sha):
        return Sha256Reader(inp, sha, length), length
    return inp, length
