"""S3 request bodies: aws-chunked decoding and x-amz-content-sha256 checks."""
import hashlib
import re

from iaas.api.objectstore.s3.xmldoc import S3Error

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


MAX_CHUNK = 16 * 1024 * 1024
SIGNED = ('STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER')
UNSIGNED = ('STREAMING-UNSIGNED-PAYLOAD-TRAILER',)   # chunks unsigned (as UNSIGNED-PAYLOAD)


def _bad(message='Bad aws-chunked encoding'):
    return S3Error('InvalidRequest', message)


class AwsChunkedReader:
    """Decodes ``aws-chunked`` bodies (optional trailers).

    With a ``signer`` (signed streaming payloads) each chunk is read whole
    and its signature checked before any of its bytes are handed on, and
    the final chunk (and trailer signature) are checked before the last
    data byte is: a bad signature fails the upload before it is stored.
    """

    def __init__(self, inp, decoded_length, signer=None):
        self.inp = inp
        self.decoded_length = decoded_length
        self.signer = signer
        self.buf = b''
        self.seen = 0
        self.done = False

    def _line(self):
        line = b''
        while not line.endswith(b'\r\n'):
            c = self.inp.read(1)
            if not c:
                raise S3Error('IncompleteBody', 'The request body terminated unexpectedly',
                              400)
            line += c
            if len(line) > 4096:
                raise _bad()
        return line[:-2]

    def _exact(self, n):
        out = b''
        while len(out) < n:
            data = self.inp.read(n - len(out))
            if not data:
                raise S3Error('IncompleteBody', 'The request body terminated unexpectedly',
                              400)
            out += data
        return out

    def _chunk(self):
        """The next chunk's data (b'' for the final one), checked."""
        size_field, _, ext = self._line().partition(b';')
        try:
            size = int(size_field, 16)
        except ValueError:
            raise _bad() from None
        if size < 0 or size > MAX_CHUNK or self.seen + size > self.decoded_length:
            raise _bad('aws-chunked chunk larger than the declared content')
        data = self._exact(size) if size else b''
        if size and self._exact(2) != b'\r\n':
            raise _bad()
        if self.signer is not None:
            name, _, sig = ext.partition(b'=')
            if name.strip() != b'chunk-signature':
                raise _bad('Missing chunk-signature')
            self.signer.verify_chunk(data, sig.strip().decode('ascii', 'replace'))
        return data

    def _finish(self):
        """Trailers up to the empty line (and the trailer signature)."""
        trailer, signature = b'', None
        while True:
            line = self._line()
            if not line:
                break
            name, _, value = line.partition(b':')
            if name.strip().lower() == b'x-amz-trailer-signature':
                signature = value.strip().decode('ascii', 'replace')
            else:
                trailer += line + b'\n'
            if len(trailer) > 16384:
                raise _bad('Trailers too large')
        if self.signer is not None and (trailer or signature is not None):
            self.signer.verify_trailer(trailer, signature)
        self.done = True
        if self.seen != self.decoded_length:
            raise S3Error('IncompleteBody', 'Body length does not match '
                          'x-amz-decoded-content-length', 400)

    def read(self, n):
        while not self.buf and not self.done:
            data = self._chunk()
            if not data:
                self._finish()
                break
            self.seen += len(data)
            self.buf = data
            if self.seen == self.decoded_length:
                # the final chunk's signature before the last bytes go on
                if self._chunk():
                    raise _bad('aws-chunked chunk larger than the declared content')
                self._finish()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out


def request_body(req, sig=None):
    """(reader, length) for a PUT body, decoded and checked as the headers say.

    ``sig`` is the request's checked :class:`sig.SigRequest` (signed
    aws-chunked bodies verify their chunk signatures with it).
    """
    sha = req.headers.get('x-amz-content-sha256', '')
    inp = req.environ['wsgi.input']
    # the body is aws-chunked when the payload hash says so, or the client
    # says so and gives the decoded length; a plain body that only carries
    # Content-Encoding: aws-chunked is taken as it is (as Swift's s3api does)
    if sha.startswith('STREAMING-') or (
            'aws-chunked' in req.headers.get('Content-Encoding', '')
            and 'x-amz-decoded-content-length' in req.headers):
        try:
            length = int(req.headers['x-amz-decoded-content-length'])
        except (KeyError, ValueError):
            raise S3Error('MissingContentLength') from None
        if length < 0:
            raise S3Error('InvalidArgument', 'Bad x-amz-decoded-content-length')
        signer = None
        if sha in SIGNED:
            if sig is None:
                sig = req.environ.get('iaas.s3.sig')
            if sig is None:
                raise S3Error('AccessDenied', 'Signed aws-chunked body without a signature')
            signer = sig.chunk_signer()
        elif sha.startswith('STREAMING-') and sha not in UNSIGNED:
            raise S3Error('InvalidArgument', 'Unsupported x-amz-content-sha256 for '
                          'aws-chunked bodies')
        return AwsChunkedReader(inp, length, signer), length
    length = req.content_length
    if length is None:
        if 'chunked' not in req.headers.get('Transfer-Encoding', '').lower():
            raise S3Error('MissingContentLength')
        if HEX64.match(sha):
            return Sha256Reader(inp, sha, float('inf')), None
        return inp, None
    if HEX64.match(sha):
        return Sha256Reader(inp, sha, length), length
    return inp, length
