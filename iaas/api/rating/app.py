"""The rating API application (:8889 by default, ``[api] rating_port``;
catalog type ``rating``): every route declares its policy rule
(:mod:`iaas.billing.policies`); ``{project_id}`` in a path is the rule's
target, so a token of another project gets 403 there."""
from iaas import wsgi
from iaas.api import auth, openapi
from iaas.api.rating import budgets, invoices, usage
from iaas.conf import CONF

PROJECT = '/v1/projects/{project_id}'
ROUTES = [
    ('GET', '/v1/meters', usage.meter_list),
    ('GET', '/v1/prices', usage.price_list),
    ('POST', '/v1/prices', usage.price_set),
    ('GET', PROJECT + '/usage', usage.usage),
    ('GET', PROJECT + '/resources', usage.resources),
    ('GET', PROJECT + '/invoices', invoices.index),
    ('GET', PROJECT + '/invoices/{period}', invoices.show),
    ('GET', PROJECT + '/invoices/{period}/download', invoices.download),
    ('GET', PROJECT + '/budget', budgets.show),
    ('PUT', PROJECT + '/budget', budgets.update),
    ('DELETE', PROJECT + '/budget', budgets.delete),
    ('POST', PROJECT + '/discounts', budgets.discount),
    ('POST', PROJECT + '/credits', budgets.credit),
    ('GET', '/v1/invoices', invoices.index_all),
    ('POST', '/v1/invoices', invoices.issue),
    ('PUT', '/v1/invoices/{invoice_id}', invoices.update),
    ('GET', '/v1/corrections', usage.corrections),
    ('POST', '/v1/reconcile', usage.reconcile),
]


def build_app():
    r = wsgi.Router(fault_formatter=wsgi.nova_fault,
                    max_body=min(CONF.api.max_request_body_size, 64 * 1024),
                    request_id_headers=('X-OpenStack-Request-ID',),
                    authorizer=auth.authorize)
    r.add('GET', '/', usage.root)
    r.add('GET', '/v1', usage.v1)
    for method, path, handler in ROUTES:
        r.add(method, path, handler)
    openapi.install(r, 'iaas rating API', '1')
    return r
