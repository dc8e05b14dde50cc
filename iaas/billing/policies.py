"""Policy rules of the rating API (oslo.policy defaults in code).

Usage, invoices and the budget of a project are its readers' (members set
the budget); prices and meters are for anyone with a token (what a flavor
costs is not a secret); changing prices, discounts, credits and invoice
states, issuing a month and running a reconciliation are the operator's.
"""
from iaas.policies import documented

ADMIN = 'rule:admin_required'
MEMBER = 'rule:project_member'
READER = 'rule:project_reader'
ANYONE = ''
P = '/v1/projects/{project_id}'

METERS_LIST = 'rating:meters:list'
PRICES_LIST = 'rating:prices:list'
PRICES_SET = 'rating:prices:set'
USAGE_GET = 'rating:usage:get'
RESOURCES_GET = 'rating:resources:get'
INVOICES_GET = 'rating:invoices:get'
INVOICES_LIST_ALL = 'rating:invoices:list_all'
INVOICES_ISSUE = 'rating:invoices:issue'
INVOICES_UPDATE = 'rating:invoices:update'
BUDGET_GET = 'rating:budget:get'
BUDGET_SET = 'rating:budget:set'
DISCOUNTS_SET = 'rating:discounts:set'
CREDITS_ADD = 'rating:credits:add'
CORRECTIONS_LIST = 'rating:corrections:list'
RECONCILE = 'rating:reconcile'

RULES = [
    documented(METERS_LIST, ANYONE, 'List the meters (what is billed, in which unit).',
               [('GET', '/v1/meters')]),
    documented(PRICES_LIST, ANYONE, 'List prices (current and history).',
               [('GET', '/v1/prices')]),
    documented(PRICES_SET, ADMIN, 'Add a price row (effective from a date; rows are kept).',
               [('POST', '/v1/prices')]),
    documented(USAGE_GET, READER, "Read a project's usage by resource, meter and day.",
               [('GET', f'{P}/usage')]),
    documented(RESOURCES_GET, READER, 'List the resources billing counts for a project.',
               [('GET', f'{P}/resources')]),
    documented(INVOICES_GET, READER, "List, show and download a project's invoices.",
               [('GET', f'{P}/invoices'), ('GET', f'{P}/invoices/{{period}}'),
                ('GET', f'{P}/invoices/{{period}}/download')]),
    documented(INVOICES_LIST_ALL, ADMIN, 'List every project\'s invoices.',
               [('GET', '/v1/invoices')]),
    documented(INVOICES_ISSUE, ADMIN, 'Issue the invoice of a month that is over.',
               [('POST', '/v1/invoices')]),
    documented(INVOICES_UPDATE, ADMIN, 'Mark an issued invoice paid (nothing else of an '
               'issued invoice ever changes).', [('PUT', '/v1/invoices/{invoice_id}')]),
    documented(BUDGET_GET, READER, "Read a project's monthly budget and its use.",
               [('GET', f'{P}/budget')]),
    documented(BUDGET_SET, MEMBER, "Set or remove a project's monthly budget.",
               [('PUT', f'{P}/budget'), ('DELETE', f'{P}/budget')]),
    documented(DISCOUNTS_SET, ADMIN, "Set a project's discount (effective-dated).",
               [('POST', f'{P}/discounts')]),
    documented(CREDITS_ADD, ADMIN, "Give a project a credit for a month.",
               [('POST', f'{P}/credits')]),
    documented(CORRECTIONS_LIST, ADMIN, "List reconciliation's corrections.",
               [('GET', '/v1/corrections')]),
    documented(RECONCILE, ADMIN, 'Run a reconciliation now.', [('POST', '/v1/reconcile')]),
]


def list_rules():
    return RULES
