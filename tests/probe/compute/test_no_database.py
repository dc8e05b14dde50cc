"""A hypervisor host holds no database credentials: iaas-compute started
with a config that has no ``[database]`` section (over RabbitMQ, the cloud on
PostgreSQL) runs the whole life cycle — boot, stop, start, snapshot, delete —
through iaas-conductor. Any database use in that process would fail loudly
(iaas.db.engine.forbid), so a stray access shows up as a failed operation.
Nor can it read the conductor's master key: it signs its calls with the host
key an operator gave it (``iaas-manage conductor host-key nodb1 compute``)."""
import secrets
import subprocess
import sys

import pytest
import requests

from tests.probe.compute.helpers import Rest, deadline_poll, start_compute_cloud

pytestmark = pytest.mark.slow


def _host_key(master_file, host):
    conf = master_file.parent / 'keytool.conf'
    conf.write_text(f'[conductor]\nmaster_key_file = {master_file}\n')
    return subprocess.run([sys.executable, '-m', 'iaas.cmd.manage', '--config-file', str(conf),
                           'conductor', 'host-key', host, 'compute'], check=True,
                          capture_output=True, text=True).stdout.strip()


def test_compute_host_without_database_runs_the_life_cycle(tmp_path):
    master = tmp_path / 'conductor-master.key'
    master.write_text(secrets.token_hex(32))
    master.chmod(0o600)
    key = _host_key(master, 'nodb1')
    cc = start_compute_cloud(
        tmp_path, hosts=('nodb1',), sections={'conductor': {'master_key_file': str(master)}},
        host_sections={'nodb1': {'conductor': {'master_key_file': str(tmp_path / 'none'),
                                               'compute_key': key}}})
    try:
        cfg = (tmp_path / 'iaas-nodb1.conf').read_text()
        assert '[database]' not in cfg and 'postgresql' not in cfg
        assert 'transport_url = pyamqp://' in cfg     # the real bus
        assert str(master) not in cfg and key in cfg
        rest = Rest(cc.cloud)
        image = rest.upload_image()
        flavor = rest.create_flavor('nodb.small', 256)
        r = rest.post('/servers', {'server': {'name': 'nodb', 'imageRef': image,
                                              'flavorRef': flavor, 'networks': 'none'}})
        assert r.status_code == 202, r.text
        sid = r.json()['server']['id']
        server = rest.wait_status(sid, 'ACTIVE', timeout=60)
        assert server['OS-EXT-SRV-ATTR:host'] == 'nodb1'
        assert server['OS-EXT-STS:power_state'] == 1

        for action, status in (('os-stop', 'SHUTOFF'), ('os-start', 'ACTIVE')):
            r = rest.post(f'/servers/{sid}/action', {action: None})
            assert r.status_code == 202, r.text
            rest.wait_status(sid, status, timeout=60)

        r = rest.post(f'/servers/{sid}/action', {'createImage': {'name': 'nodb-snap'}})
        assert r.status_code == 202, r.text
        snap = r.json()['image_id']
        h = {'X-Auth-Token': rest.token}
        deadline_poll(lambda: requests.get(f'{rest.image}/v2/images/{snap}', headers=h,
                                           timeout=30).json().get('status') == 'active',
                      60, what='snapshot image active')
        rest.wait_status(sid, 'ACTIVE', timeout=60)
        # the instance action events were written through the conductor
        actions = rest.get(f'/servers/{sid}/os-instance-actions').json()['instanceActions']
        assert {'create', 'stop', 'start', 'createImage'} <= {a['action'] for a in actions}
        create = [a for a in actions if a['action'] == 'create'][0]
        events = rest.get(f'/servers/{sid}/os-instance-actions/{create["request_id"]}').json()
        assert [e['event'] for e in events['instanceAction']['events']] == \
            ['compute_build_and_run_instance']
        assert events['instanceAction']['events'][0]['result'] == 'Success'

        assert rest.delete(f'/servers/{sid}').status_code == 204
        deadline_poll(lambda: rest.get(f'/servers/{sid}').status_code == 404, 60,
                      what='server deleted')
        # the host's usage was recounted through the conductor
        hyp = rest.get('/os-hypervisors/detail').json()['hypervisors']
        assert [(h_['service']['host'], h_['running_vms']) for h_ in hyp] == [('nodb1', 0)]
        log = cc.cloud.daemons[cc.compute_key('nodb1')].log()
        assert 'no database in this process' not in log, log[-3000:]
    finally:
        cc.stop()
