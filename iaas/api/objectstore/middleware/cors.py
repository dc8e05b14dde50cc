"""CORS for the Swift API (Swift's proxy CORS handling): a container's
``X-Container-Meta-Access-Control-Allow-Origin`` (space separated origins or
``*``), ``-Expose-Headers`` and ``-Max-Age``.

* ``OPTIONS`` on a container or object: a preflight (``Origin`` and
  ``Access-Control-Request-Method``) is 200 with the allow headers when the
  origin and method are allowed, else 401; without ``Origin`` it is 200 with
  ``Allow``.
* Any other container/object request with ``Origin``: the response gets
  ``Access-Control-Allow-Origin`` and ``-Expose-Headers`` when the container
  allows that origin (strict CORS mode, as /info says).

Who may call: OPTIONS is public (it says only what the container's owner
published in its CORS metadata, as Swift does); other requests are checked
as usual, this filter only adds response headers. S3's bucket CORS is the
S3 layer's and not handled here.
"""
import webob

from iaas.api.objectstore.middleware import common

OBJECT_METHODS = ('COPY', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT')
CONTAINER_METHODS = ('DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT')
ACCOUNT_METHODS = ('GET', 'HEAD', 'OPTIONS', 'POST')
EXPOSE = ('cache-control', 'content-language', 'content-type', 'expires', 'last-modified',
          'pragma', 'etag', 'x-timestamp', 'x-trans-id', 'x-openstack-request-id')

INFO = None     # Swift lists its strict_cors_mode under 'swift', not a section


def cors_info(proxy, account, container):
    info = common.container_info(proxy, account, container)
    meta = info['meta'] if 200 <= info['status'] < 300 else {}
    return {'allow_origin': meta.get('access-control-allow-origin'),
            'expose_headers': meta.get('access-control-expose-headers'),
            'max_age': meta.get('access-control-max-age')}


def origin_allowed(cors, origin):
    allowed = {a.strip() for a in (cors.get('allow_origin') or '').split(' ') if a.strip()}
    return origin in allowed or '*' in allowed


def make(proxy, app):
    def options(req, account, container, obj):
        methods = OBJECT_METHODS if obj else CONTAINER_METHODS if container else ACCOUNT_METHODS
        headers = {'Allow': ', '.join(methods)}
        resp = webob.Response(status=200, headers=headers, body=b'',
                              content_type='text/html', charset='UTF-8')
        origin = req.headers.get('Origin')
        if not origin or not container:
            return resp
        cors = cors_info(proxy, account, container)
        if not origin_allowed(cors, origin) or \
                req.headers.get('Access-Control-Request-Method') not in methods:
            resp.status = 401
            return resp
        allow = (cors.get('allow_origin') or '').strip()
        resp.headers['Access-Control-Allow-Origin'] = '*' if allow == '*' else origin
        resp.headers['Vary'] = 'Origin'
        if cors.get('max_age') is not None:
            resp.headers['Access-Control-Max-Age'] = cors['max_age']
        resp.headers['Access-Control-Allow-Methods'] = ', '.join(methods)
        asked = {h.strip() for h in req.headers.get('Access-Control-Request-Headers', '').split(',')
                 if h.strip()}
        if asked:
            resp.headers['Access-Control-Allow-Headers'] = ', '.join(sorted(asked))
            resp.headers['Vary'] += ', Access-Control-Request-Headers'
        return resp

    def decorate(req, resp, account, container, origin):
        cors = cors_info(proxy, account, container)
        if not origin_allowed(cors, origin):
            return resp
        if 'Access-Control-Expose-Headers' not in resp.headers:
            expose = set(EXPOSE)
            expose.update(h.lower() for h in resp.headers
                          if h.lower().startswith(('x-container-meta', 'x-object-meta')))
            expose.update(h.strip() for h in (cors.get('expose_headers') or '').split(' ')
                          if h.strip())
            resp.headers['Access-Control-Expose-Headers'] = ', '.join(sorted(expose))
        if 'Access-Control-Allow-Origin' not in resp.headers:
            if (cors.get('allow_origin') or '').strip() == '*':
                resp.headers['Access-Control-Allow-Origin'] = '*'
            else:
                resp.headers['Access-Control-Allow-Origin'] = origin
                resp.headers['Vary'] = 'Origin'
        return resp

    def handler(req):
        parts = common.client_path(req)
        if parts is None:
            return app(req)
        account, container, obj = parts
        if req.method == 'OPTIONS':
            return options(req, account, container, obj)
        origin = req.headers.get('Origin')
        if not origin or not container:
            return app(req)
        resp = common.call(proxy, app, req)
        return decorate(req, resp, account, container, origin)
    return handler
