"""Policy rules in code and the override file."""
import pytest

from iaas import wsgi
from iaas.api import auth
from iaas.context import RequestContext


def ctx(roles, project='p'):
    return RequestContext(user_id='u', project_id=project, roles=roles,
                          is_admin='admin' in roles)


CASES = [
    # rule, roles, target project, allowed
    ('admin_required', ['admin', 'member', 'reader'], 'q', True),
    ('admin_required', ['member', 'reader'], 'p', False),
    ('admin_or_owner', ['member', 'reader'], 'p', True),
    ('admin_or_owner', ['member', 'reader'], 'q', False),
    ('admin_or_owner', ['admin'], 'q', True),
    ('project_reader', ['reader'], 'p', True),
    ('project_reader', ['reader'], 'q', False),
    ('project_member', ['reader'], 'p', False),
    ('project_member', ['member', 'reader'], 'p', True),
    ('project_member', ['member', 'reader'], 'q', False),
    ('some:unregistered:rule', ['member'], 'p', True),   # falls back to admin_or_owner
    ('some:unregistered:rule', ['member'], 'q', False),
]


@pytest.mark.parametrize('rule,roles,target,allowed', CASES)
def test_rules(conf, rule, roles, target, allowed):
    c = ctx(roles)
    if allowed:
        assert auth.enforce(c, rule, {'project_id': target})
    else:
        with pytest.raises(wsgi.Forbidden):
            auth.enforce(c, rule, {'project_id': target})


def test_default_target_is_own_project(conf):
    assert auth.enforce(ctx(['member']), 'project_member')


def test_registered_rule(conf):
    from oslo_policy import policy
    auth.register_rules([policy.RuleDefault('thing:create', 'rule:admin_required')])
    with pytest.raises(wsgi.Forbidden):
        auth.enforce(ctx(['member']), 'thing:create')
    assert auth.enforce(ctx(['admin']), 'thing:create')


def test_override_file(conf, tmp_path):
    f = tmp_path / 'policy.yaml'
    f.write_text('"project_member": "rule:admin_required"\n')
    conf.set_override('policy_file', str(f), group='identity')
    try:
        with pytest.raises(wsgi.Forbidden):
            auth.enforce(ctx(['member']), 'project_member')
        assert auth.enforce(ctx(['member']), 'project_reader')
    finally:
        conf.clear_override('policy_file', group='identity')


def test_no_context_is_401(conf):
    with pytest.raises(wsgi.Unauthorized):
        auth.enforce(None, 'admin_or_owner')


def test_unscoped_owns_nothing(conf):
    u = RequestContext(user_id='u', project_id=None, roles=[])
    for target in ({'project_id': None}, None, {'project_id': 'p'}):
        with pytest.raises(wsgi.Forbidden):
            auth.enforce(u, 'admin_or_owner', target)
    assert auth.enforce(u, 'identity:get_user', {'user_id': 'u'})
