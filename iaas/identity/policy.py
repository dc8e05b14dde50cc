"""Policy rules in code (oslo.policy), overridable from a file.

Generic rules every API may use:

* ``admin_required`` — the admin role (or an elevated context).
* ``owner`` / ``admin_or_owner`` — the target's project is the caller's.
* ``project_reader`` — admin, or any role on the target's project (reads).
* ``project_member`` — admin, or the member role on the target's project
  (changes; a reader-only user fails it).
* ``reader`` — any of reader, member, admin.

Services register their own named rules with :func:`register_rules`; an
unregistered name falls back to ``admin_or_owner``. ``[identity]
policy_file`` may override any rule ("name": "check string").
"""
import threading
import time

from oslo_policy import policy

from iaas import policies
from iaas.conf import CONF
from iaas.policies import documented

GENERIC_RULES = [
    policy.RuleDefault('admin_required', 'role:admin or is_admin:True',
                       description='Cloud administrator.'),
    policy.RuleDefault('owner', 'project_id:%(project_id)s',
                       description='The target belongs to the caller\'s project.'),
    policy.RuleDefault('admin_or_owner', 'rule:admin_required or rule:owner'),
    policy.RuleDefault('reader', 'role:reader or role:member or role:admin'),
    policy.RuleDefault('project_reader',
                       'rule:admin_required or (rule:reader and rule:owner)'),
    policy.RuleDefault('project_member',
                       'rule:admin_required or ((role:member or role:admin) and rule:owner)'),
    policy.RuleDefault('default', 'rule:admin_or_owner'),
]

ADMIN = 'rule:admin_required'
READER = 'rule:admin_required or rule:reader'
OWN_USER = 'rule:admin_required or user_id:%(user_id)s'
ANYONE = ''

USERS = '/v3/users'
USER = USERS + '/{user_id}'
EC2 = USER + '/credentials/OS-EC2'
PROJECTS = '/v3/projects'
PROJECT = PROJECTS + '/{project_id}'
DOMAINS = '/v3/domains'
DOMAIN = DOMAINS + '/{domain_id}'
ROLES = '/v3/roles'
ROLE = ROLES + '/{role_id}'
GRANTS = '/v3/{target}s/{target_id}/users/{user_id}/roles'
GRANT = GRANTS + '/{role_id}'
SERVICES = '/v3/services'
SERVICE = SERVICES + '/{service_id}'
ENDPOINTS = '/v3/endpoints'
ENDPOINT = ENDPOINTS + '/{endpoint_id}'
CREDENTIALS = '/v3/credentials'
CREDENTIAL = CREDENTIALS + '/{credential_id}'
TOKENS = '/v3/auth/tokens'
APP_CREDS = USER + '/application_credentials'
APP_CRED = APP_CREDS + '/{application_credential_id}'


def _rule(name, check, what, ops):
    return documented('identity:' + name, check, what, ops)


# Keystone's rule names. An admin is the cloud administrator (Keystone's
# system scope); "own" rules let a user act on itself, also with an
# unscoped token (the route's scope is ``wsgi.ANY``).
IDENTITY_RULES = [
    # users
    _rule('list_users', ADMIN, 'List users.', [('GET', USERS)]),
    _rule('get_user', OWN_USER, 'Show a user (oneself, or any as admin).', [('GET', USER)]),
    _rule('create_user', ADMIN, 'Create a user.', [('POST', USERS)]),
    _rule('update_user', ADMIN, 'Update a user.', [('PATCH', USER)]),
    _rule('delete_user', ADMIN, 'Delete a user (its EC2 credentials go too).',
          [('DELETE', USER)]),
    _rule('change_password', OWN_USER, 'Change one\'s own password (the original '
          'password is checked too; wrong ones are rate-limited like logins).',
          [('POST', USER + '/password')]),
    _rule('list_user_projects', OWN_USER, 'List the projects a user has a role on.',
          [('GET', USER + '/projects')]),
    # projects
    _rule('list_projects', OWN_USER, 'List projects: the caller\'s own (those it has '
          'a role on); every project with identity:list_projects:all.',
          [('GET', PROJECTS)]),
    _rule('list_projects:all', ADMIN, 'List every project, not only one\'s own.',
          [('GET', PROJECTS)]),
    _rule('get_project', 'rule:admin_required or project_id:%(project_id)s',
          'Show a project (the token\'s own, or any as admin).', [('GET', PROJECT)]),
    _rule('create_project', ADMIN, 'Create a project.', [('POST', PROJECTS)]),
    _rule('update_project', ADMIN, 'Update (enable, disable) a project.',
          [('PATCH', PROJECT)]),
    _rule('delete_project', ADMIN, 'Delete a project (its EC2 credentials go too).',
          [('DELETE', PROJECT)]),
    # domains
    _rule('list_domains', READER, 'List domains (those identity:get_domain allows).',
          [('GET', DOMAINS)]),
    _rule('get_domain', 'rule:admin_required or domain_id:%(domain_id)s',
          'Show a domain (the caller\'s own, or any as admin).', [('GET', DOMAIN)]),
    _rule('create_domain', ADMIN, 'Create a domain.', [('POST', DOMAINS)]),
    _rule('update_domain', ADMIN, 'Update a domain.', [('PATCH', DOMAIN)]),
    _rule('delete_domain', ADMIN, 'Delete a disabled, empty domain.', [('DELETE', DOMAIN)]),
    # roles and assignments
    _rule('list_roles', READER, 'List roles.', [('GET', ROLES)]),
    _rule('get_role', READER, 'Show a role.', [('GET', ROLE)]),
    _rule('create_role', ADMIN, 'Create a role.', [('POST', ROLES)]),
    _rule('update_role', ADMIN, 'Rename a role.', [('PATCH', ROLE)]),
    _rule('delete_role', ADMIN, 'Delete a role and its assignments.', [('DELETE', ROLE)]),
    _rule('list_grants', OWN_USER, 'List a user\'s roles on a project or domain '
          '(one\'s own, or any as admin).', [('GET', GRANTS)]),
    _rule('check_grant', ADMIN, 'Check a role assignment.',
          [('GET', GRANT), ('HEAD', GRANT)]),
    _rule('create_grant', ADMIN, 'Give a user a role on a project or domain.',
          [('PUT', GRANT)]),
    _rule('revoke_grant', ADMIN, 'Take a role away (revokes the matching tokens).',
          [('DELETE', GRANT)]),
    _rule('list_role_assignments', OWN_USER, 'List role assignments (filtered by '
          'user.id: one\'s own; all or another user\'s: admin).',
          [('GET', '/v3/role_assignments')]),
    # catalog
    _rule('list_services', READER, 'List catalog services.', [('GET', SERVICES)]),
    _rule('get_service', READER, 'Show a catalog service.', [('GET', SERVICE)]),
    _rule('create_service', ADMIN, 'Create a catalog service.', [('POST', SERVICES)]),
    _rule('update_service', ADMIN, 'Update a catalog service.', [('PATCH', SERVICE)]),
    _rule('delete_service', ADMIN, 'Delete a catalog service.', [('DELETE', SERVICE)]),
    _rule('list_endpoints', READER, 'List endpoints.', [('GET', ENDPOINTS)]),
    _rule('get_endpoint', READER, 'Show an endpoint.', [('GET', ENDPOINT)]),
    _rule('create_endpoint', ADMIN, 'Create an endpoint.', [('POST', ENDPOINTS)]),
    _rule('update_endpoint', ADMIN, 'Update an endpoint.', [('PATCH', ENDPOINT)]),
    _rule('delete_endpoint', ADMIN, 'Delete an endpoint.', [('DELETE', ENDPOINT)]),
    _rule('list_regions', ANYONE, 'List regions.', [('GET', '/v3/regions')]),
    _rule('get_region', ANYONE, 'Show a region.', [('GET', '/v3/regions/{region_id}')]),
    # credentials
    _rule('list_credentials', OWN_USER, 'List credentials (one\'s own; another '
          'user\'s or everyone\'s: admin).', [('GET', CREDENTIALS)]),
    _rule('get_credential', OWN_USER, 'Show a credential.', [('GET', CREDENTIAL)]),
    _rule('create_credential', OWN_USER, 'Create a credential for oneself (or for '
          'anyone as admin).', [('POST', CREDENTIALS)]),
    _rule('delete_credential', OWN_USER, 'Delete a credential.', [('DELETE', CREDENTIAL)]),
    _rule('ec2_list_credentials', OWN_USER, 'List a user\'s EC2 credentials.',
          [('GET', EC2)]),
    _rule('ec2_get_credential', OWN_USER, 'Show an EC2 credential.',
          [('GET', EC2 + '/{access}')]),
    _rule('ec2_create_credential', OWN_USER, 'Create an EC2 credential for a project '
          'the user has a role on.', [('POST', EC2)]),
    _rule('ec2_delete_credential', OWN_USER, 'Delete an EC2 credential.',
          [('DELETE', EC2 + '/{access}')]),
    # application credentials (a user's own; an admin may list, show, delete)
    _rule('create_application_credential', 'user_id:%(user_id)s',
          'Create an application credential for oneself, for the token\'s project, '
          'with some of the token\'s roles.', [('POST', APP_CREDS)]),
    _rule('list_application_credentials', OWN_USER, 'List a user\'s application '
          'credentials.', [('GET', APP_CREDS)]),
    _rule('get_application_credential', OWN_USER, 'Show an application credential.',
          [('GET', APP_CRED)]),
    _rule('delete_application_credential', OWN_USER, 'Delete an application credential '
          '(its tokens stop working).', [('DELETE', APP_CRED)]),
    # tokens and auth
    _rule('validate_token', OWN_USER, 'Validate a token (one\'s own, or any as admin).',
          [('GET', TOKENS), ('HEAD', TOKENS)]),
    _rule('revoke_token', OWN_USER, 'Revoke a token (one\'s own, or any as admin).',
          [('DELETE', TOKENS)]),
    _rule('get_auth_catalog', ANYONE, 'The service catalog of the token\'s project.',
          [('GET', '/v3/auth/catalog')]),
    _rule('get_auth_projects', ANYONE, 'The projects the caller may scope a token to.',
          [('GET', '/v3/auth/projects')]),
]


def list_rules():
    """The generic and identity rules (see :mod:`iaas.policies`)."""
    return GENERIC_RULES + IDENTITY_RULES


_lock = threading.Lock()
_enforcer = None
_extra = []


def register_rules(rules):
    """Add a service's RuleDefaults (call at import or app build time)."""
    with _lock:
        _extra.extend(rules)
        if _enforcer is not None:
            _enforcer.register_defaults(rules)


def enforcer():
    global _enforcer
    e = _enforcer
    if e is not None:
        return e
    with _lock:
        if _enforcer is None:
            kw = {}
            if CONF.identity.policy_file:
                kw['policy_file'] = CONF.identity.policy_file
            e = policy.Enforcer(CONF, default_rule='default', **kw)
            e.register_defaults(policies.list_rules() + _extra)
            e.load_rules()
            _enforcer = e
        return _enforcer


def reset():
    global _enforcer
    with _lock:
        _enforcer = None
        _decisions.clear()


# An unscoped token owns no project: its project_id must never match a
# target's (not even a target whose project_id is None).
UNSCOPED = '\x00unscoped'


def creds(context):
    return {'user_id': context.user_id,
            'project_id': context.project_id if context.project_id else UNSCOPED,
            'domain_id': context.domain_id, 'roles': list(context.roles),
            'is_admin': bool(context.is_admin)}


# Decisions are a pure function of (rule, target, credentials) while the
# rules stay the same, so they are memoized (a dict lookup instead of
# oslo.policy's rule walk and its policy-file check on every call). The
# policy file is looked at again at most once per RELOAD_INTERVAL; when its
# rules changed, the memo is dropped.
RELOAD_INTERVAL = 1.0
MAX_DECISIONS = 50_000
_decisions = {}
_reload = {'at': 0.0, 'rules': None}


def _fresh_rules(e):
    now = time.monotonic()
    if now - _reload['at'] >= RELOAD_INTERVAL:
        with _lock:
            if now - _reload['at'] >= RELOAD_INTERVAL:
                e.load_rules()
                if e.rules is not _reload['rules']:
                    _decisions.clear()
                    _reload['rules'] = e.rules
                _reload['at'] = now


def check(context, rule, target):
    e = enforcer()
    _fresh_rules(e)
    c = creds(context)
    try:
        key = (rule, tuple(sorted(target.items())), c['user_id'], c['project_id'],
               c['domain_id'], tuple(c['roles']), c['is_admin'])
        hit = _decisions.get(key)
    except TypeError:           # an unhashable target value: no memo
        return e.enforce(rule, target, c)
    if hit is None:
        hit = bool(e.enforce(rule, target, c))
        if len(_decisions) >= MAX_DECISIONS:
            _decisions.clear()
        _decisions[key] = hit
    return hit
