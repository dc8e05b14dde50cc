"""Service clients over an authenticated Session: compute (Nova v2.1 with
microversions) and image (Glance v2)."""
from iaas.cli.errors import APIError

# The microversion the CLI is written for; lowered to the server's maximum.
COMPUTE_MICROVERSION = (2, 79)


def parse_version(value):
    try:
        major, minor = str(value).split('.')
        return int(major), int(minor)
    except (TypeError, ValueError):
        return None


class Service:
    service_type = None

    def __init__(self, session):
        self.session = session
        self._base = None

    @property
    def base(self):
        if self._base is None:
            self._base = self.root_url(self.session.endpoint(self.service_type))
        return self._base

    def root_url(self, url):
        return url

    def headers(self):
        return {}

    def request(self, method, path, *, headers=None, retry=True, **kwargs):
        url = path if path.startswith(('http://', 'https://')) else self.base + path
        hdrs = {'X-Auth-Token': self.session.token, **self.headers(), **(headers or {})}
        try:
            return self.session.transport.request(method, url, headers=hdrs, **kwargs)
        except APIError as exc:
            body = kwargs.get('data')
            replayable = body is None or isinstance(body, (bytes, str))
            if exc.status == 401 and retry and replayable and self.session.renew():
                return self.request(method, path, headers=headers, retry=False, **kwargs)
            raise

    def get(self, path, **kw):
        return self.request('GET', path, **kw)

    def post(self, path, **kw):
        return self.request('POST', path, **kw)

    def put(self, path, **kw):
        return self.request('PUT', path, **kw)

    def patch(self, path, **kw):
        return self.request('PATCH', path, **kw)

    def delete(self, path, **kw):
        return self.request('DELETE', path, **kw)


class Compute(Service):
    service_type = 'compute'

    def __init__(self, session):
        super().__init__(session)
        self._version = None

    @property
    def version(self):
        """The negotiated microversion as a tuple; (2, 1) without microversions."""
        if self._version is None:
            self._version = self._negotiate()
        return self._version

    def _negotiate(self):
        resp = self.session.transport.request(
            'GET', self.base, headers={'X-Auth-Token': self.session.token},
            expect_error=True)
        try:
            doc = resp.json()
        except ValueError:
            doc = None
        versions = []
        if isinstance(doc, dict):
            if isinstance(doc.get('version'), dict):
                versions = [doc['version']]
            elif isinstance(doc.get('versions'), list):
                versions = [v for v in doc['versions'] if isinstance(v, dict)]
        for v in versions:
            if str(v.get('id', '')).startswith('v2.1'):
                top, bottom = parse_version(v.get('version')), parse_version(
                    v.get('min_version'))
                if top is None:
                    return (2, 1)
                chosen = min(top, COMPUTE_MICROVERSION)
                if bottom and chosen < bottom:
                    return bottom
                return chosen
        return (2, 1)

    def at_least(self, major, minor):
        return self.version >= (major, minor)

    def headers(self):
        if self.version == (2, 1):
            return {}
        v = '%d.%d' % self.version
        return {'OpenStack-API-Version': f'compute {v}', 'X-OpenStack-Nova-API-Version': v}


class Image(Service):
    service_type = 'image'

    def root_url(self, url):
        url = url.rstrip('/')
        return url if url.endswith('/v2') else url + '/v2'


class Network(Service):
    service_type = 'network'

    def root_url(self, url):
        url = url.rstrip('/')
        return url if url.endswith('/v2.0') else url + '/v2.0'


class Rating(Service):
    """The rating API: usage, prices, invoices, budgets."""
    service_type = 'rating'
