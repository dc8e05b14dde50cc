"""``/healthcheck`` (Swift's healthcheck): 200 ``OK`` while the proxy serves.

Who may call: anyone (no token; it says nothing but that the proxy answers).

On the proxy's port the shared layer every HTTP port runs in
(iaas.common.observe, iaas.common.health) answers /healthcheck first, in
the same words (``OK``; ``DOWN`` or ``DISABLED BY FILE`` with 503), after
checking the devices' disks; this one answers for a proxy called without
it (an application embedding it).
"""
from iaas.api.objectstore.middleware import common

INFO = None     # Swift does not list healthcheck in /info


def make(proxy, app):
    def handler(req):
        if not common.is_internal(req) and req.environ.get('PATH_INFO') == '/healthcheck':
            return common.text_response(200, 'OK', method=req.method)
        return app(req)
    return handler
