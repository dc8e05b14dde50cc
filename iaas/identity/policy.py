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

from oslo_policy import policy

from iaas.conf import CONF

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

IDENTITY_RULES = [
    policy.RuleDefault('identity:admin', 'rule:admin_required'),
    policy.RuleDefault('identity:get_user', 'rule:admin_required or user_id:%(user_id)s'),
    policy.RuleDefault('identity:change_password',
                       'rule:admin_required or user_id:%(user_id)s'),
    policy.RuleDefault('identity:get_project',
                       'rule:admin_required or project_id:%(project_id)s'),
    policy.RuleDefault('identity:list_user_projects',
                       'rule:admin_required or user_id:%(user_id)s'),
    policy.RuleDefault('identity:ec2_credentials',
                       'rule:admin_required or user_id:%(user_id)s'),
    policy.RuleDefault('identity:list_roles', 'rule:admin_required or rule:reader'),
    policy.RuleDefault('identity:get_role', 'rule:admin_required or rule:reader'),
    policy.RuleDefault('identity:list_services', 'rule:admin_required or rule:reader'),
    policy.RuleDefault('identity:list_endpoints', 'rule:admin_required or rule:reader'),
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
            from iaas import policies
            e.register_defaults(policies.list_rules() + _extra)
            e.load_rules()
            _enforcer = e
        return _enforcer


def reset():
    global _enforcer
    with _lock:
        _enforcer = None


# An unscoped token owns no project: its project_id must never match a
# target's (not even a target whose project_id is None).
UNSCOPED = '\x00unscoped'


def creds(context):
    return {'user_id': context.user_id,
            'project_id': context.project_id if context.project_id else UNSCOPED,
            'domain_id': context.domain_id, 'roles': list(context.roles),
            'is_admin': bool(context.is_admin)}


def check(context, rule, target):
    return enforcer().enforce(rule, target, creds(context))
