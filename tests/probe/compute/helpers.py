"""A compute cloud for probe tests: iaas-api, iaas-image, iaas-scheduler and
one iaas-compute per host name (fake driver) as separate processes over
real RabbitMQ (a private exchange) and a fresh PostgreSQL database; plus a
small REST client (``Rest``) that talks to the compute and image APIs with
a real identity token.
"""
import json
import os
import time
import uuid

import requests

from tests.conftest import RABBIT, make_empty_db
from tests.probe.fixtures import Cloud, wait_for_port

# Fast failure detection: heartbeat every second, down after 4 s, reaper every second.
FAST = {'service': {'report_interval': 1, 'service_down_time': 4},
        'compute': {'reap_interval': 1, 'resource_report_interval': 1,
                    'sync_power_state_interval': 2}}


def deadline_poll(check, timeout, interval=0.2, what='condition'):
    """Call ``check()`` until it returns something truthy; fail after ``timeout`` s."""
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f'{what} not reached within {timeout}s (last: {last!r})')


def merge(*dicts):
    out = {}
    for d in dicts:
        for g, opts in (d or {}).items():
            out.setdefault(g, {}).update(opts)
    return out


class Rest:
    """requests against one cloud's APIs with a project-scoped token."""

    def __init__(self, cloud, username='admin', password=None, project='admin'):
        self.cloud = cloud
        body = {'auth': {'identity': {'methods': ['password'], 'password': {'user': {
            'name': username, 'domain': {'name': 'Default'},
            'password': cloud.admin_password if password is None else password}}},
            'scope': {'project': {'name': project, 'domain': {'name': 'Default'}}}}}
        r = requests.post(f'{cloud.auth_url}/auth/tokens', json=body, timeout=30)
        assert r.status_code == 201, r.text
        self.token = r.headers['X-Subject-Token']
        self.project_id = r.json()['token']['project']['id']
        self.session = requests.Session()
        self.session.headers.update({'X-Auth-Token': self.token,
                                     'OpenStack-API-Version': 'compute 2.79'})
        self.compute = f'http://127.0.0.1:{cloud.ports["compute_port"]}/v2.1'
        self.image = f'http://127.0.0.1:{cloud.ports["image"]}'

    def req(self, method, path, **kw):
        kw.setdefault('timeout', 60)
        return self.session.request(method, self.compute + path, **kw)

    def get(self, path, **kw):
        return self.req('GET', path, **kw)

    def post(self, path, body=None, **kw):
        return self.req('POST', path, json=body, **kw)

    def delete(self, path, **kw):
        return self.req('DELETE', path, **kw)

    def server(self, sid):
        r = self.get(f'/servers/{sid}')
        assert r.status_code == 200, r.text
        return r.json()['server']

    def wait_status(self, sid, statuses, timeout=60):
        statuses = {statuses} if isinstance(statuses, str) else set(statuses)

        seen = {}

        def check():
            s = seen['last'] = self.server(sid)
            return s if s['status'] in statuses and not s.get('OS-EXT-STS:task_state') \
                else None
        try:
            return deadline_poll(check, timeout, what=f'server {sid} in {statuses}')
        except AssertionError as exc:
            s = seen.get('last') or {}
            raise AssertionError(f'{exc}: {s.get("name")} {s.get("status")} task '
                                 f'{s.get("OS-EXT-STS:task_state")} host '
                                 f'{s.get("OS-EXT-SRV-ATTR:host")} fault {s.get("fault")}') \
                from None

    def upload_image(self, name='probe-img', data=b'\0' * 4096, visibility='public'):
        h = {'X-Auth-Token': self.token}
        r = requests.post(f'{self.image}/v2/images', headers=h, timeout=30, json={
            'name': name, 'disk_format': 'raw', 'container_format': 'bare',
            'visibility': visibility})
        assert r.status_code == 201, r.text
        iid = r.json()['id']
        r = requests.put(f'{self.image}/v2/images/{iid}/file', data=data, timeout=60,
                         headers=dict(h, **{'Content-Type': 'application/octet-stream'}))
        assert r.status_code == 204, r.text
        return iid

    def create_flavor(self, name, ram, vcpus=1, disk=1):
        r = self.post('/flavors', {'flavor': {'name': name, 'ram': ram, 'vcpus': vcpus,
                                              'disk': disk}})
        assert r.status_code == 200, r.text
        return r.json()['flavor']['id']


class ComputeCloud:
    """The cloud plus helpers; see ``start_compute_cloud``."""

    def __init__(self, cloud, hosts, drop_db):
        self.cloud = cloud
        self.hosts = list(hosts)
        self._drop_db = drop_db

    def __getattr__(self, name):
        return getattr(self.cloud, name)

    def compute_key(self, host):
        return f'iaas-compute-{host}'

    def start_compute(self, host, sections=None):
        """iaas-compute for ``host``, configured as a hypervisor host: no
        ``[database]`` section (its state goes through iaas-conductor)."""
        cfg = self.cloud.host_config(host, sections, database=False)
        return self.cloud.start('iaas-compute', config_file=cfg, wait_port=False,
                                key=self.compute_key(host))

    def fake_accounting(self, host):
        path = os.path.join(self.cloud.state_path, 'fake-driver', f'{host}.json')
        with open(path) as f:
            return json.load(f)

    def wait_hypervisors(self, rest, hosts, timeout=60):
        """Until os-hypervisors lists every host in ``hosts`` as up."""
        def check():
            r = rest.get('/os-hypervisors/detail')
            if r.status_code != 200:
                return None
            up = {h['service']['host'] for h in r.json()['hypervisors']
                  if h.get('state') == 'up'}
            return up >= set(hosts)
        deadline_poll(check, timeout, interval=0.3, what=f'hypervisors {hosts} up')

    def _delete_bus(self):
        """Remove this cloud's durable queues and exchanges from the shared broker."""
        import kombu
        ex = self.cloud.config_args.get('control_exchange')
        if not ex:
            return
        names = [f'{ex}.scheduler', f'{ex}.scheduler.ctl', f'{ex}.compute',
                 f'{ex}.conductor', f'{ex}.conductor.ctl']
        names += [f'{ex}.compute.{h}' for h in self.hosts]
        try:
            with kombu.Connection(RABBIT, connect_timeout=5) as conn:
                ch = conn.channel()
                for q in names:
                    ch.queue_delete(q)
                for e in (ex, f'{ex}_reply'):
                    ch.exchange_delete(e)
        except Exception:  # best effort: leftovers are harmless, only untidy
            pass

    def stop(self, check_logs=True):
        logs = {n: d.log_path for n, d in self.cloud.daemons.items()}
        self.cloud.stop_all()
        self._drop_db()
        self._delete_bus()
        if check_logs:
            for name, path in logs.items():
                with open(path, errors='replace') as f:
                    text = f.read()
                assert 'Traceback' not in text, f'{name} log has a traceback:\n' \
                                                f'{text[-4000:]}'


def start_compute_cloud(tmp_path, hosts=('cmp1',), sections=None, host_sections=None):
    """Start the daemons; ``host_sections``: {host: sections} for one compute's config."""
    db_url, drop = make_empty_db('postgresql', tmp_path)
    exchange = f'iaas-probe-{uuid.uuid4().hex[:10]}'
    merged = merge(FAST, {'service_user': {'password': 'admin-secret-1'}}, sections)
    try:
        cloud = Cloud.create(tmp_path, db_url=db_url, sections=merged, host='ctl',
                             transport_url=RABBIT, control_exchange=exchange)
    except Exception:
        drop()
        raise
    cc = ComputeCloud(cloud, hosts, drop)
    try:
        cloud.start('iaas-api')
        wait_for_port(cloud.ports['compute_port'], what='compute API')
        cloud.start('iaas-image', wait_port=cloud.ports['image'])
        cloud.start('iaas-scheduler', wait_port=False)
        for h in hosts:
            cc.start_compute(h, (host_sections or {}).get(h))
        cc.wait_hypervisors(Rest(cloud), hosts)
    except BaseException:
        cc.stop(check_logs=False)
        raise
    return cc
