"""The proxy's request pipeline: Swift's middlewares as small filters.

Every request the proxy handles -- from a client (``Proxy.__call__``) or a
subrequest of the S3 layer (``Proxy.internal_app``, marked by the environ key
``iaas.objectstore.internal``) -- passes through the filters named in
:data:`PIPELINE`, outermost first, before the proxy's own dispatch (v1.0
auth, ``/info``, the Swift API, the S3 API).

A filter module defines ``make(proxy, app)`` that returns a handler
``handler(req) -> webob.Response``; ``app`` is the next handler inside. A
filter may answer by itself, change the request, call ``app`` (maybe several
times: subrequests go through ``app`` or through ``proxy.internal_app``) or
change the response. It raises ``iaas.api.objectstore.errors.HTTPError`` for a
Swift error response. Filters that serve clients only (tempurl, formpost,
staticweb, bulk, ...) pass internal requests straight to ``app``.

The order follows Swift's proxy-server.conf pipeline. A name whose module does
not exist (yet) is skipped, so each filter lands in its own commit.
"""
import importlib
import logging

LOG = logging.getLogger(__name__)

# Outermost first (Swift's order: healthcheck ... s3api ... slo dlo
# versioned_writes symlink proxy-server).
PIPELINE = (
    'healthcheck',
    'crossdomain',
    'cors',
    'bulk',
    'tempurl',
    'formpost',
    'staticweb',
    'account_quotas',
    'container_quotas',
    'versioned_writes',
    'object_versioning',
    'symlink',
)


def build(proxy, app):
    """Wrap ``app`` (handler(req) -> Response) in every filter of PIPELINE."""
    for name in reversed(PIPELINE):
        try:
            mod = importlib.import_module(f'{__name__}.{name}')
        except ModuleNotFoundError as e:
            if e.name != f'{__name__}.{name}':
                raise
            continue
        app = mod.make(proxy, app)
    return app
