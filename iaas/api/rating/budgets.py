"""A project's monthly budget (readers see it, members set it) and the
operator's discounts and credits."""
from iaas import wsgi
from iaas.api.rating import common
from iaas.billing import api as billing
from iaas.billing import policies as P

BUDGET = {'type': 'object', 'required': ['budget'], 'additionalProperties': False,
          'properties': {'budget': {
              'type': 'object', 'required': ['amount'], 'additionalProperties': False,
              'properties': {'amount': common.MONEY, 'enforce': {'type': 'boolean'},
                             'currency': {'type': 'string', 'pattern': '^[A-Z]{3}$'}}}}}
DISCOUNT = {'type': 'object', 'required': ['discount'], 'additionalProperties': False,
            'properties': {'discount': {
                'type': 'object', 'required': ['percent'], 'additionalProperties': False,
                'properties': {'percent': {'type': 'string',
                                           'pattern': r'^\d{1,3}(\.\d{1,4})?$'},
                               'effective_from': common.TIME}}}}
CREDIT = {'type': 'object', 'required': ['credit'], 'additionalProperties': False,
          'properties': {'credit': {
              'type': 'object', 'required': ['period', 'amount'],
              'additionalProperties': False,
              'properties': {'period': {'type': 'string', 'pattern': r'^\d{4}-\d{2}$'},
                             'amount': common.MONEY,
                             'reason': {'type': 'string', 'maxLength': 255},
                             'currency': {'type': 'string', 'pattern': '^[A-Z]{3}$'}}}}}


@wsgi.route_policy(P.BUDGET_GET)
def show(req, project_id):
    found = billing.budget_get(common.ctx_of(req), project_id)
    if not found:
        raise wsgi.NotFound('This project has no budget.')
    return common.respond({'budget': found})


@wsgi.route_policy(P.BUDGET_SET)
@wsgi.accepts(BUDGET)
def update(req, project_id):
    b = common.json_body(req, BUDGET)['budget']
    try:
        billing.budget_set(common.ctx_of(req), project_id, b['amount'],
                           enforce=b.get('enforce'), currency=b.get('currency'))
    except (billing.InvalidBudget, ValueError) as exc:
        raise wsgi.BadRequest(str(exc)) from None
    return common.respond({'budget': billing.budget_get(common.ctx_of(req), project_id)})


@wsgi.route_policy(P.BUDGET_SET)
def delete(req, project_id):
    if not billing.budget_delete(common.ctx_of(req), project_id):
        raise wsgi.NotFound('This project has no budget.')
    return 204, None, {}


@wsgi.route_policy(P.DISCOUNTS_SET)
@wsgi.accepts(DISCOUNT)
def discount(req, project_id):
    d = common.json_body(req, DISCOUNT)['discount']
    try:
        row = billing.discount_set(common.ctx_of(req), project_id, d['percent'],
                                   effective_from=common.when(d.get('effective_from'),
                                                              'effective_from'))
    except ValueError as exc:
        raise wsgi.BadRequest(str(exc)) from None
    return common.respond({'discount': row}, 201)


@wsgi.route_policy(P.CREDITS_ADD)
@wsgi.accepts(CREDIT)
def credit(req, project_id):
    c = common.json_body(req, CREDIT)['credit']
    try:
        row = billing.credit_add(common.ctx_of(req), project_id, common.period(c['period']),
                                 c['amount'], reason=c.get('reason', ''),
                                 currency=c.get('currency'))
    except ValueError as exc:
        raise wsgi.BadRequest(str(exc)) from None
    return common.respond({'credit': row}, 201)
