"""Project isolation: a member of project B can neither see, act on nor
delete project A's servers (404 everywhere), via openstackclient and REST."""
import pytest

from tests.probe.compute.helpers import Rest

pytestmark = pytest.mark.slow

ACTIONS = ({'os-stop': None}, {'os-start': None}, {'reboot': {'type': 'HARD'}},
           {'pause': None}, {'suspend': None}, {'lock': None},
           {'createImage': {'name': 'stolen'}},
           {'os-getConsoleOutput': {'length': 10}}, {'unlock': None})


def test_project_b_cannot_touch_project_a(compute_cloud):
    cc = compute_cloud
    admin = Rest(cc.cloud)
    image = admin.upload_image('shared-img')
    admin.create_flavor('iso.small', 128)
    bigger = admin.create_flavor('iso.big', 256)
    for project, user in (('proj-a', 'alice'), ('proj-b', 'bob')):
        cc.openstack('project', 'create', project)
        cc.openstack('user', 'create', '--password', f'{user}-pw-1', '--project', project,
                     user)
        cc.openstack('role', 'add', '--user', user, '--project', project, 'member',
                     json_out=False)
    env_a = cc.env('alice', 'alice-pw-1', 'proj-a')
    env_b = cc.env('bob', 'bob-pw-1', 'proj-b')

    srv = cc.openstack('server', 'create', '--image', image, '--flavor', 'iso.small',
                       '--nic', 'none', '--wait', 'secret-vm', env=env_a)
    assert srv['status'] == 'ACTIVE'
    sid = srv['id']

    # openstackclient as bob: not listed, not found by id or name.
    assert cc.openstack('server', 'list', env=env_b) == []
    for args in (('server', 'show', sid), ('server', 'show', 'secret-vm'),
                 ('server', 'stop', sid), ('server', 'reboot', sid),
                 ('server', 'delete', sid), ('console', 'log', 'show', sid)):
        r = cc.openstack(*args, env=env_b, check=False, json_out=args[1] == 'show')
        assert r.returncode != 0, (args, r.stdout)
        assert 'Traceback' not in r.stderr

    # REST with bob's token: 404 for every read, action and delete.
    bob = Rest(cc.cloud, 'bob', 'bob-pw-1', 'proj-b')
    assert bob.get('/servers/detail').json()['servers'] == []
    # all_tenants is for admins (Nova: 403); never another project's servers.
    r = bob.get('/servers/detail?all_tenants=1')
    assert r.status_code == 403 or r.json()['servers'] == [], r.text
    assert bob.get(f'/servers/detail?project_id={admin.project_id}').json()[
        'servers'] == []
    for path in (f'/servers/{sid}', f'/servers/{sid}/metadata',
                 f'/servers/{sid}/os-instance-actions'):
        r = bob.get(path)
        assert r.status_code == 404, (path, r.status_code, r.text)
    for body in ACTIONS + ({'resize': {'flavorRef': bigger}},):
        r = bob.post(f'/servers/{sid}/action', body)
        assert r.status_code == 404, (body, r.status_code, r.text)
        assert 'itemNotFound' in r.json(), r.text
    for method, path, body in (('PUT', f'/servers/{sid}', {'server': {'name': 'x'}}),
                               ('POST', f'/servers/{sid}/metadata', {'metadata': {'a': 'b'}}),
                               ('DELETE', f'/servers/{sid}', None)):
        r = bob.req(method, path, json=body)
        assert r.status_code == 404, (method, path, r.status_code, r.text)

    # Untouched for its owner.
    alice = Rest(cc.cloud, 'alice', 'alice-pw-1', 'proj-a')
    s = alice.server(sid)
    assert s['status'] == 'ACTIVE' and s['name'] == 'secret-vm' and not s['locked']
    assert s['metadata'] == {}
    assert [a['action'] for a in alice.get(f'/servers/{sid}/os-instance-actions').json()[
        'instanceActions']] == ['create']
    # A listing by the admin across projects does show it (the server exists).
    assert sid in {x['id'] for x in admin.get('/servers/detail?all_tenants=1').json()[
        'servers']}
