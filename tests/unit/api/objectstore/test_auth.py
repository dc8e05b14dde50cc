import pytest

from iaas.api.objectstore.auth import Auth, AuthError, Identity


def _auth():
    return Auth(['acct:user:key:.admin', 'acct:other:pw', 'root:boss:x:.reseller_admin'],
                'secret', use_identity=False)


def test_v1_tokens():
    auth = _auth()
    token, account, _ = auth.v1_auth('acct:user', 'key')
    assert account == 'AUTH_acct'
    ident = auth.identify(token)
    assert ident.account == 'AUTH_acct' and ident.user == 'acct:user'
    with pytest.raises(AuthError):
        auth.v1_auth('acct:user', 'wrong')
    with pytest.raises(AuthError):
        auth.identify(token[:-2] + ('00' if token.endswith('ff') else 'ff'))
    with pytest.raises(AuthError):      # another key signed it
        Auth(['acct:user:key'], 'other', use_identity=False).identify(token)
    assert auth.identify(None) is None
    assert auth.identify(auth.v1_auth('root:boss', 'x')[0]).reseller


def test_acls_and_roles():
    auth = _auth()
    owner = auth._tempauth_identity('acct:user')
    other = auth._tempauth_identity('acct:other')
    stranger = Identity(user='x:y', account='AUTH_x')
    auth.authorize(owner, 'PUT', 'AUTH_acct', 'c', 'o', {})
    with pytest.raises(AuthError) as e:
        auth.authorize(stranger, 'GET', 'AUTH_acct', 'c', 'o', {})
    assert e.value.code == 403
    with pytest.raises(AuthError) as e:
        auth.authorize(None, 'GET', 'AUTH_acct', 'c', 'o', {})
    assert e.value.code == 401
    auth.authorize(None, 'GET', 'AUTH_acct', 'c', 'o', {'read': '.r:*'})
    with pytest.raises(AuthError):      # listing needs .rlistings too
        auth.authorize(None, 'GET', 'AUTH_acct', 'c', None, {'read': '.r:*'})
    auth.authorize(stranger, 'PUT', 'AUTH_acct', 'c', 'o', {'write': 'x:y'})
    auth.authorize(stranger, 'PUT', 'AUTH_acct', 'c', 'o', {'write': 'x:*'})
    assert other.account == 'AUTH_acct'
    reader = Identity(user='u', account='AUTH_p', project_id='p', read_only=True)
    auth.authorize(reader, 'GET', 'AUTH_p', 'c', 'o', {})
    with pytest.raises(AuthError):
        auth.authorize(reader, 'PUT', 'AUTH_p', 'c', 'o', {})


def test_only_admin_users_own_their_account():
    auth = _auth()
    other = auth._tempauth_identity('acct:other')      # acct's user without .admin
    assert not auth.is_owner(other, 'AUTH_acct', 'GET')
    with pytest.raises(AuthError) as e:
        auth.authorize(other, 'GET', 'AUTH_acct', 'c', 'o', {})
    assert e.value.code == 403
    auth.authorize(other, 'GET', 'AUTH_acct', 'c', 'o', {'read': 'acct:other'})
    auth.authorize(other, 'PUT', 'AUTH_acct', 'c', 'o', {'write': 'acct'})
    assert auth.is_owner(auth._tempauth_identity('acct:user'), 'AUTH_acct', 'PUT', 'c')
