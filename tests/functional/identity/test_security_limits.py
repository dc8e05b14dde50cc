"""Rate limits of the identity API (issue #12, finding 10).

Failed passwords are counted per user *and* source address (never a lock
of the user as such: anonymous failures from one address must not lock
``admin`` out from another), per source across users, and for password
changes as for logins; sign-up is limited per source address and refuses
names that differ from a taken one only in case.
"""
import pytest

from tests.functional.identity.helpers import ADMIN_PW, admin_client

ATTACKER, OPERATOR = '198.51.100.66', '192.0.2.10'


@pytest.fixture
def api(db_url):
    return admin_client()


def _signup(api, name, addr, project=None, password='long-enough-1'):
    body = {'user': {'name': name, 'password': password}}
    if project:
        body['project'] = {'name': project}
    return api.call('POST', '/v3/signup', body, remote_addr=addr)


def test_failures_from_one_address_do_not_lock_admin_out_of_another(api):
    for _ in range(5):
        assert api.token('admin', 'guess', 'admin', remote_addr=ATTACKER).status_int == 401
    r = api.token('admin', ADMIN_PW, 'admin', remote_addr=ATTACKER)
    assert r.status_int == 429 and int(r.headers['Retry-After']) > 0
    assert api.token('admin', ADMIN_PW, 'admin', remote_addr=OPERATOR).status_int == 201


def test_one_address_cannot_try_many_users(api, conf):
    conf.set_override('lockout_source_attempts', 6, group='identity')
    try:
        for i in range(6):
            assert api.token(f'user{i}', 'guess', 'admin',
                             remote_addr=ATTACKER).status_int == 401
        # Another name, even the right password: that address is done.
        assert api.token('admin', ADMIN_PW, 'admin', remote_addr=ATTACKER).status_int == 429
        assert api.token('admin', ADMIN_PW, 'admin', remote_addr=OPERATOR).status_int == 201
    finally:
        conf.clear_override('lockout_source_attempts', group='identity')


def test_wrong_original_passwords_are_rate_limited(api):
    r = _signup(api, 'pat', OPERATOR)
    assert r.status_int == 201
    uid = r.json['user']['id']
    tok = api.token('pat', 'long-enough-1', remote_addr=OPERATOR).headers['X-Subject-Token']
    path = f'/v3/users/{uid}/password'

    def change(original, addr):
        return api.call('POST', path, {'user': {'original_password': original,
                                                'password': 'brand-new-pw-1'}},
                        tok, remote_addr=addr)
    for _ in range(5):
        assert change('guess', ATTACKER).status_int == 401
    r = change('long-enough-1', ATTACKER)
    assert r.status_int == 429 and r.headers['Retry-After']
    assert r.json['error']['code'] == 429
    # The owner, from its own address, is not locked out.
    assert change('long-enough-1', OPERATOR).status_int == 204


def test_signup_rate_limited_per_address(api, conf):
    conf.set_override('signup_rate_limit', 3, group='identity')
    try:
        for i in range(3):
            assert _signup(api, f'flood{i}', ATTACKER).status_int == 201
        r = _signup(api, 'flood3', ATTACKER)
        assert r.status_int == 429 and int(r.headers['Retry-After']) > 0
        assert r.json['error']['code'] == 429
        assert _signup(api, 'flood3', OPERATOR).status_int == 201
    finally:
        conf.clear_override('signup_rate_limit', group='identity')


@pytest.mark.parametrize('name,project', [
    ('Admin', None),            # beside the bootstrap admin
    ('ADMIN', 'somewhere'),     # the user name alone clashes
    ('newbie', 'Admin'),        # the project name clashes with project admin
])
def test_signup_names_taken_whatever_the_case(api, name, project):
    r = _signup(api, name, OPERATOR, project=project)
    assert r.status_int == 409, r.body
    assert r.json['error']['code'] == 409
    assert _signup(api, 'newbie', OPERATOR).status_int == 201
    assert _signup(api, 'NewBie', OPERATOR, project='other-p').status_int == 409
