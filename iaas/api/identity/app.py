"""The Keystone-v3-compatible identity API (iaas-api, :5000)."""
from iaas import wsgi
from iaas.api import auth, openapi
from iaas.api.identity import app_credentials, catalog, resources, signup, tokens
from iaas.conf import CONF


def build_app():
    router = wsgi.Router(fault_formatter=wsgi.keystone_fault,
                         max_body=CONF.api.max_request_body_size,
                         authorizer=auth.authorize)
    tokens.add_routes(router)
    resources.add_routes(router)
    app_credentials.add_routes(router)
    catalog.add_routes(router)
    signup.add_routes(router)
    openapi.install(router, 'iaas Identity API (Keystone v3)', '3.14')
    return router
