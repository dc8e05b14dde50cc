"""Invoices: a project's list, one month (the draft while it lasts, the
stored invoice once issued), downloads as JSON, CSV and PDF; the
operator's list of all, issuing a month and marking an invoice paid."""
import webob

from iaas import wsgi
from iaas.api.rating import common
from iaas.billing import api as billing
from iaas.billing import pdf
from iaas.billing import policies as P

FORMATS = ('json', 'csv', 'pdf')
ISSUE = {'type': 'object', 'required': ['invoice'], 'additionalProperties': False,
         'properties': {'invoice': {
             'type': 'object', 'required': ['project_id', 'period'],
             'additionalProperties': False, 'properties': {
                 'project_id': {'type': 'string', 'minLength': 1, 'maxLength': 64},
                 'period': {'type': 'string', 'pattern': r'^\d{4}-\d{2}$'}}}}}
UPDATE = {'type': 'object', 'required': ['invoice'], 'additionalProperties': False,
          'properties': {'invoice': {
              'type': 'object', 'required': ['state'], 'additionalProperties': False,
              'properties': {'state': {'enum': ['paid']},
                             'reference': {'type': 'string', 'maxLength': 255}}}}}


@wsgi.route_policy(P.INVOICES_GET)
def index(req, project_id):
    period = req.GET.get('period')
    rows = billing.invoices_list(common.ctx_of(req), project_id=project_id,
                                 period=common.period(period) if period else None)
    return common.respond({'invoices': rows})


def _invoice(req, project_id, period):
    return billing.invoice_show(common.ctx_of(req), project_id, common.period(period))


@wsgi.route_policy(P.INVOICES_GET)
def show(req, project_id, period):
    return common.respond({'invoice': _invoice(req, project_id, period)})


@wsgi.route_policy(P.INVOICES_GET)
def download(req, project_id, period):
    fmt = common.text(req, 'format', 8) or 'json'
    if fmt not in FORMATS:
        raise wsgi.BadRequest(f'format is one of {", ".join(FORMATS)}.')
    inv = _invoice(req, project_id, period)
    if fmt == 'pdf':
        ctype, body = 'application/pdf', pdf.render(inv)
    else:
        ctype, body = billing.invoice_render(common.ctx_of(req), inv, fmt)
    resp = webob.Response(body=body, charset=None)
    resp.headers['Content-Type'] = ctype
    resp.headers['Content-Disposition'] = \
        f'attachment; filename="invoice-{project_id}-{period}.{fmt}"'
    return resp


@wsgi.route_policy(P.INVOICES_LIST_ALL, scope=wsgi.ANY)
def index_all(req):
    period = req.GET.get('period')
    rows = billing.invoices_list(common.ctx_of(req),
                                 project_id=common.text(req, 'project_id', 64),
                                 period=common.period(period) if period else None)
    return common.respond({'invoices': rows})


@wsgi.route_policy(P.INVOICES_ISSUE, scope=wsgi.ANY)
@wsgi.accepts(ISSUE)
def issue(req):
    want = common.json_body(req, ISSUE)['invoice']
    try:
        inv = billing.invoice_issue(common.ctx_of(req), want['project_id'],
                                    common.period(want['period']))
    except billing.InvoiceExists as exc:
        raise wsgi.Conflict(str(exc) or 'That month is issued already.') from None
    except billing.MonthNotOver as exc:
        raise wsgi.BadRequest(str(exc) or 'That month is not over.') from None
    return common.respond({'invoice': inv}, 201)


@wsgi.route_policy(P.INVOICES_UPDATE, scope=wsgi.ANY)
@wsgi.accepts(UPDATE)
def update(req, invoice_id):
    want = common.json_body(req, UPDATE)['invoice']
    if not common.UUIDISH.match(invoice_id) or \
            billing.invoice_get(common.ctx_of(req), invoice_id) is None:
        raise wsgi.NotFound('No such invoice.')
    try:
        inv = billing.invoice_set_state(common.ctx_of(req), invoice_id, want['state'],
                                        reference=want.get('reference'))
    except billing.InvoiceStateError as exc:
        raise wsgi.Conflict(str(exc)) from None
    return common.respond({'invoice': inv})
