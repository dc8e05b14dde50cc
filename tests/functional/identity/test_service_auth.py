"""The service account's keystoneauth1 session ([service_user]) against the
real identity API served on a free port."""
import pytest

from iaas.api.identity import app as identity_api
from iaas.common import service_auth
from iaas.service import WSGIService
from tests.functional.identity.helpers import ADMIN_PW, admin_client


@pytest.fixture
def identity_url(sqlite_db, conf):
    admin_client(ADMIN_PW)     # bootstrap: admin user, project, catalog
    svc = WSGIService('identity-test', identity_api.build_app(), '127.0.0.1', 0, threads=4)
    svc.start()
    conf.set_override('auth_url', f'http://127.0.0.1:{svc.port}/v3', group='service_user')
    conf.set_override('password', ADMIN_PW, group='service_user')
    yield svc
    svc.stop()
    conf.clear_override('auth_url', group='service_user')
    conf.clear_override('password', group='service_user')


def test_token_endpoint_and_headers(identity_url, conf):
    client = service_auth.ServiceClient()
    token = client.token()
    assert token and client.token() == token          # cached, not fetched again
    assert client.headers({'A': 'b'}) == {'X-Auth-Token': token, 'A': 'b'}
    assert client.endpoint('image') == \
        f'http://{conf.api.public_host}:{conf.image.port}'
    r = client.session.get(f'{conf.service_user.auth_url}/auth/tokens',
                           headers={'X-Auth-Token': token, 'X-Subject-Token': token})
    assert r.status_code == 200 and r.json()['token']['user']['name'] == 'admin'


def test_missing_endpoint_and_bad_password_are_service_auth_errors(identity_url, conf):
    client = service_auth.ServiceClient()
    with pytest.raises(service_auth.ServiceAuthError, match='no nothing-here endpoint'):
        client.endpoint('nothing-here')
    conf.set_override('password', 'wrong-password', group='service_user')
    with pytest.raises(service_auth.ServiceAuthError, match='service login failed'):
        service_auth.ServiceClient().token()


def test_password_falls_back_to_the_admin_password_file(conf):
    with open(f'{conf.state_path}/admin-password', 'w') as f:
        f.write('from-file\n')
    assert service_auth._password() == 'from-file'
    conf.set_override('admin_password', 'configured', group='identity')
    assert service_auth._password() == 'configured'
    conf.clear_override('admin_password', group='identity')
