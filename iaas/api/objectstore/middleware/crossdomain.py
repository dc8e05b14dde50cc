"""``/crossdomain.xml`` (Swift's crossdomain): the cross-domain policy Flash
and similar clients fetch before talking to the API.

Who may call: anyone (GET, no token; the document is the same for all).
"""
import webob

from iaas.api.objectstore.middleware import common

POLICY = '<allow-access-from domain="*" secure="false" />'


def swift_info(proxy):
    return {'crossdomain': {}}


def make(proxy, app):
    body = ('<?xml version="1.0"?>\n'
            '<!DOCTYPE cross-domain-policy SYSTEM '
            '"http://www.adobe.com/xml/dtds/cross-domain-policy.dtd" >\n'
            '<cross-domain-policy>\n'
            f'{POLICY}\n'
            '</cross-domain-policy>').encode()

    def handler(req):
        if not common.is_internal(req) and req.method == 'GET' and \
                req.environ.get('PATH_INFO') == '/crossdomain.xml':
            return webob.Response(body=body, content_type='application/xml', charset=None)
        return app(req)
    return handler
