"""A fresh all-in-one cloud for the conformance suites: config on a port
base, iaas-all started with the fake compute driver, and the accounts,
images, flavors and network the suites expect (provision())."""
import os
import re
import shutil
import signal
import subprocess
import time

from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# Offsets from the port base.
PORTS = {'identity': 0, 'compute': 1, 'ec2': 2, 'volume': 3, 'network': 4,
         'metadata': 5, 'image': 6, 'objectstore': 7, 'storage': 8, 'metadata_proxy': 9,
         'rating': 10, 'dashboard': 11}

# v1.0 (tempauth) users: Swift's functests (test.conf) and ceph's s3-tests.
# "account:user:key[:role...]"; .admin owns the account.
TEMPAUTH_USERS = [
    'test:tester:testing:.admin',
    'test2:tester2:testing2:.admin',
    'test:tester3:testing3',
    'test5:tester5:testing5:.admin',
    'test6:tester6:testing6:.admin',
    'test:tester2:testing2:.admin', # s3api functests' second key (as Swift's SAIO)
    'reseller:reseller:reseller:.reseller_admin',
    's3main:tester:s3mainsecret:.admin',
    's3main:alt:s3altsecret:.admin',     # same account, other owner (s3-tests' alt)
    's3tenant:tester:s3tenantsecret:.admin',
]
S3_USERS = {'main': ('s3main:tester', 's3mainsecret'),
            'alt': ('s3main:alt', 's3altsecret'),
            'tenant': ('s3tenant:tester', 's3tenantsecret')}
PASSWORD = 'secret'
TEMPEST_PROJECTS = tuple(f'tempest{i}' for i in range(1, 7))   # as tempest/accounts.yaml
# admins (each of its own project) for the suites run.py gives admin credentials
TEMPEST_ADMINS = tuple(f'tempest-admin{i}' for i in range(1, 4))


def port(base, name):
    return base + PORTS[name]


def write_config(path, state, base):
    users = ', '.join(TEMPAUTH_USERS)
    text = f"""[DEFAULT]
host = conformance
state_path = {state}
transport_url = filesystem://

[compute]
compute_driver = fake

[api]
listen = 127.0.0.1
public_host = 127.0.0.1
identity_port = {port(base, 'identity')}
compute_port = {port(base, 'compute')}
ec2_port = {port(base, 'ec2')}
volume_port = {port(base, 'volume')}
network_port = {port(base, 'network')}
metadata_port = {port(base, 'metadata')}
rating_port = {port(base, 'rating')}
# the suites write fast from one user
user_write_rate = 0

[image]
port = {port(base, 'image')}

[dashboard]
port = {port(base, 'dashboard')}

[metadata]
proxy_port = {port(base, 'metadata_proxy')}

[objectstore]
port = {port(base, 'objectstore')}
storage_port = {port(base, 'storage')}
tempauth_users = {users}
default_replicas = 1
default_devices = 1
fsync = false

[quota]
instances = 100
cores = 200
ram = 512000
"""
    with open(path, 'w') as f:
        f.write(text)


class Cloud:
    def __init__(self, work, base, log=print):
        self.base = base
        self.dir = os.path.join(work, f'cloud-{base}')
        self.state = os.path.join(self.dir, 'state')
        self.conf = os.path.join(self.dir, 'iaas.conf')
        self.log = log
        self.proc = None

    @property
    def auth_url(self):
        return f'http://127.0.0.1:{port(self.base, "identity")}/v3'

    @property
    def logs(self):
        return os.path.join(self.state, 'logs')

    def start(self, timeout=120):
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.state)
        write_config(self.conf, self.state, self.base)
        out = open(os.path.join(self.dir, 'iaas-all.out'), 'w')
        self.proc = subprocess.Popen(
            [os.path.join(ROOT, '.venv', 'bin', 'iaas-all'), '--config-file', self.conf,
             '--state-path', self.state], stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
        openrc = os.path.join(self.state, 'admin-openrc')
        deadline = time.monotonic() + timeout
        while not os.path.exists(openrc):
            if self.proc.poll() is not None:
                raise RuntimeError(f'iaas-all exited {self.proc.returncode}; see {out.name}')
            if time.monotonic() > deadline:
                raise RuntimeError(f'iaas-all not ready after {timeout} s; see {out.name}')
            time.sleep(0.2)
        self.admin_password = open(os.path.join(self.state, 'admin-password')).read().strip() \
            if os.path.exists(os.path.join(self.state, 'admin-password')) else None
        env = {}
        for line in open(openrc):
            k, _, v = line.replace('export ', '', 1).strip().partition('=')
            env[k] = v.strip("'")
        self.admin_password = env['OS_PASSWORD']
        self.log(f'cloud up: {self.auth_url} (state {self.state})')

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def server_errors(self):
        """Lines of the cloud's logs that record a 5xx answer (not 501)."""
        return [line for line, _why in self.server_error_reports()]

    def server_error_reports(self):
        """[(line, why)]: each line of the cloud's logs that records a 5xx
        answer (not 501), with the ERROR records and tracebacks its thread
        logged just before it (what CI needs to say why)."""
        out = []
        if not os.path.isdir(self.logs):
            return out
        for name in sorted(os.listdir(self.logs)):
            with open(os.path.join(self.logs, name), errors='replace') as f:
                lines = [line.rstrip() for line in f]
            for i, line in enumerate(lines):
                if ': server error 5' in line:
                    out.append((line, _preceding_errors(lines, i)))
        return out


    # --- provisioning ---------------------------------------------------------------
    def session(self):
        auth = v3.Password(auth_url=self.auth_url, username='admin',
                           password=self.admin_password, project_name='admin',
                           user_domain_name='Default', project_domain_name='Default')
        return ks_session.Session(auth=auth)

    def provision(self):
        """Tempest's accounts (accounts.yaml), two images, a shared network."""
        s = self.session()
        ident = {'service_type': 'identity', 'interface': 'public'}

        def find(kind, name):
            r = s.get(f'/{kind}?name={name}', endpoint_filter=ident).json()[kind]
            return r[0]['id'] if r else None

        def ensure(kind, name, body):
            found = find(kind, name)
            if found:
                return found
            key = kind[:-1]
            return s.post(f'/{kind}', json={key: dict(body, name=name)},
                          endpoint_filter=ident).json()[key]['id']

        roles = {r: ensure('roles', r, {}) for r in ('member', 'reader', 'ResellerAdmin',
                                                     'admin')}
        users = [(p, p, 'member') for p in TEMPEST_PROJECTS]
        users += [(p + '-reader', p, 'reader') for p in TEMPEST_PROJECTS]
        # two: Tempest's workers run AccountQuotasTest and AccountQuotasNegativeTest
        # side by side and each takes a ResellerAdmin account for itself (with one,
        # the second class's setUpClass fails: 'Insufficient number of users')
        users += [(r, r, 'ResellerAdmin') for r in ('tempest-reseller', 'tempest-reseller2')]
        users += [(a, a, 'admin') for a in TEMPEST_ADMINS]
        for user, project, role in users:
            pid = ensure('projects', project, {'domain_id': 'default'})
            uid = ensure('users', user, {'domain_id': 'default', 'password': PASSWORD,
                                         'default_project_id': pid})
            s.put(f'/projects/{pid}/users/{uid}/roles/{roles[role]}', endpoint_filter=ident)

        img = {'service_type': 'image', 'interface': 'public'}
        self.images = []
        for name in ('conformance-image', 'conformance-image-alt'):
            r = s.post('/v2/images', json={'name': name, 'disk_format': 'raw',
                                           'container_format': 'bare',
                                           'visibility': 'public'}, endpoint_filter=img)
            iid = r.json()['id']
            s.put(f'/v2/images/{iid}/file', data=b'\0' * 65536, endpoint_filter=img,
                  headers={'Content-Type': 'application/octet-stream'})
            self.images.append(iid)

        net = {'service_type': 'network', 'interface': 'public'}
        r = s.post('/v2.0/networks', json={'network': {'name': 'private', 'shared': True}},
                   endpoint_filter=net)
        nid = r.json()['network']['id']
        s.post('/v2.0/subnets', json={'subnet': {
            'network_id': nid, 'cidr': '10.250.0.0/20', 'ip_version': 4,
            'name': 'private-subnet'}}, endpoint_filter=net)
        self.network_name = 'private'
        r = s.post('/v2.0/networks', json={'network': {
            'name': 'public', 'router:external': True}}, endpoint_filter=net)
        self.public_network_id = r.json()['network']['id']
        s.post('/v2.0/subnets', json={'subnet': {
            'network_id': self.public_network_id, 'cidr': '203.0.113.0/24', 'ip_version': 4,
            'enable_dhcp': False, 'name': 'public-subnet'}}, endpoint_filter=net)
        exts = s.get('/v2.0/extensions', endpoint_filter=net).json()['extensions']
        self.network_extensions = ','.join(sorted(e['alias'] for e in exts))
        comp = {'service_type': 'compute', 'interface': 'public'}
        root = s.get('/', endpoint_filter=comp).json()
        self.max_microversion = root.get('version', {}).get('version') or '2.1'
        self.log(f'provisioned: {len(users)} tempest users, images {self.images}, '
                 f'networks {self.network_name} and public, compute microversions up to '
                 f'{self.max_microversion}')


def _thread_of(line):
    """The ``[thread-name]`` of a log record line, or None."""
    m = re.search(r' \[([^\]]+)\] ', line)
    return m.group(1) if m else None


def _preceding_errors(lines, i, window=400, limit=60):
    """The ERROR/exception records (with their traceback lines) that the
    thread of ``lines[i]`` logged in the ``window`` lines before it."""
    thread = _thread_of(lines[i])
    picked = []
    j = max(0, i - window)
    while j < i:
        line = lines[j]
        if thread and _thread_of(line) == thread and (' ERROR ' in line or
                                                       ' CRITICAL ' in line):
            picked.append(line)
            j += 1
            while j < i and lines[j] and _thread_of(lines[j]) is None and \
                    not re.match(r'\d{4}-\d\d-\d\d ', lines[j]):
                picked.append(lines[j])      # the traceback under it
                j += 1
            continue
        j += 1
    return picked[-limit:]
