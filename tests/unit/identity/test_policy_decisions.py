"""Memoized policy decisions follow the policy file."""
import os
import time

from iaas.context import RequestContext
from iaas.identity import policy


def test_decisions_follow_policy_file(conf, tmp_path, monkeypatch):
    path = tmp_path / 'policy.yaml'
    path.write_text('"image:get_schemas": "role:member"\n')
    conf.set_override('policy_file', str(path), group='identity')
    policy.reset()
    monkeypatch.setattr(policy, 'RELOAD_INTERVAL', 0.0)
    try:
        member = RequestContext(user_id='u', project_id='p', roles=['member'])
        reader = RequestContext(user_id='r', project_id='p', roles=['reader'])
        target = {'project_id': 'p'}
        assert policy.check(member, 'image:get_schemas', target)
        assert not policy.check(reader, 'image:get_schemas', target)
        assert policy._decisions                      # memoized
        path.write_text('"image:get_schemas": "role:reader"\n')
        later = time.time() + 5
        os.utime(path, (later, later))                 # a new mtime for oslo.policy
        assert policy.check(reader, 'image:get_schemas', target)
        assert not policy.check(member, 'image:get_schemas', target)
    finally:
        conf.clear_override('policy_file', group='identity')
        policy.reset()


def test_unscoped_never_matches_a_target_without_project(conf):
    policy.reset()
    unscoped = RequestContext(user_id='u', project_id=None, roles=[])
    assert not policy.check(unscoped, 'owner', {'project_id': None})
    assert not policy.check(unscoped, 'project_reader', {'project_id': None})
