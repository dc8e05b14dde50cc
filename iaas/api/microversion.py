"""OpenStack API microversions, shared by the APIs that have them.

Clients ask with ``OpenStack-API-Version: <service> X.Y`` (or an API's
legacy header); 'latest' means the maximum; no header means the minimum.
Every response says which version it used (:meth:`Microversions.headers`).
"""
from iaas import wsgi


def fmt(v):
    return f'{v[0]}.{v[1]}'


class Microversions:
    def __init__(self, service, min_version, max_version, legacy_header=None):
        self.service, self.min, self.max = service, min_version, max_version
        self.legacy_header = legacy_header
        self.environ_key = f'iaas.{service}.version'

    def parse(self, req):
        raw = None
        header = req.headers.get('OpenStack-API-Version')
        if header:
            parts = header.strip().split()
            if len(parts) == 2 and parts[0].lower() == self.service:
                raw = parts[1]
        if raw is None and self.legacy_header:
            raw = req.headers.get(self.legacy_header)
        if raw is None:
            return self.min
        raw = raw.strip()
        if raw.lower() == 'latest':
            return self.max
        try:
            major, minor = (int(x) for x in raw.split('.'))
        except ValueError:
            raise wsgi.BadRequest(f'API Version String {raw} is of invalid format. Must be '
                                  'of format MajorNum.MinorNum.') from None
        v = (major, minor)
        if not self.min <= v <= self.max:
            raise wsgi.Fault(f'Version {raw} is not supported by the API. Minimum is '
                             f'{fmt(self.min)} and maximum is {fmt(self.max)}.', code=406)
        return v

    def middleware(self, req):
        req.environ[self.environ_key] = self.parse(req)

    def version(self, req):
        return req.environ.get(self.environ_key, self.min)

    def headers(self, v):
        out = {'OpenStack-API-Version': f'{self.service} {fmt(v)}'}
        vary = ['OpenStack-API-Version']
        if self.legacy_header:
            out[self.legacy_header] = fmt(v)
            vary.append(self.legacy_header)
        out['Vary'] = ', '.join(vary)
        return out
