"""A tiny in-process cloud for CLI tests: Keystone v3 tokens, Nova v2.1
(servers with scripted state changes, flavors, key pairs, usage, actions) and
Glance v2 (images, streamed upload), served by http.server on a free port.

Every request is recorded in ``cloud.requests`` as (method, path, query,
headers, json body or None). Server states advance one step per GET of the
server, so ``--wait`` sees the BUILD → ACTIVE progression."""
import copy
import datetime as dt
import hashlib
import json
import re
import socket
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from requests.structures import CaseInsensitiveDict

FLAVORS = [{'id': '1', 'name': 'm1.tiny', 'ram': 512, 'disk': 1, 'vcpus': 1,
            'OS-FLV-EXT-DATA:ephemeral': 0, 'os-flavor-access:is_public': True},
           {'id': '2', 'name': 'm1.small', 'ram': 2048, 'disk': 20, 'vcpus': 1,
            'OS-FLV-EXT-DATA:ephemeral': 0, 'os-flavor-access:is_public': True}]


def iso(t):
    return t.strftime('%Y-%m-%dT%H:%M:%S.%fZ')


class Reply(Exception):
    def __init__(self, status, body=None, headers=None):
        self.status, self.body, self.headers = status, body, headers or {}


def nova_error(status, message):
    name = {400: 'badRequest', 404: 'itemNotFound', 409: 'conflictingRequest'}.get(
        status, 'computeFault')
    return Reply(status, {name: {'code': status, 'message': message}})


def glance_error(status, message):
    return Reply(status, {'message': message, 'code': f'{status}', 'title': 'Error'})


class FakeCloud:
    def __init__(self):
        self.users = {'demo': 'secret'}
        self.project_id = 'p' * 32
        self.token_ttl = dt.timedelta(hours=1)
        self.tokens = {}
        self.requests = []
        self.images = {}
        self.servers = {}
        self.keypairs = {}
        self.flavors = copy.deepcopy(FLAVORS)
        self.max_microversion = '2.79'
        self.page_size = 1000
        self.fail_server_gets = 0   # answer this many server GETs with 503
        self.networks = {}          # id -> {'id', 'name'}; none: no network service
        self.uploads = []       # {'chunked', 'content_length', 'reads', 'size'}
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.httpd.cloud = self
        self.httpd.daemon_threads = True
        self.url = f'http://127.0.0.1:{self.httpd.server_address[1]}'
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,),
                                       daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def auth_url(self):
        return self.url + '/identity/v3'

    def calls(self, method=None, prefix=''):
        return [r for r in self.requests
                if (method is None or r[0] == method) and r[1].startswith(prefix)]

    # ----------------------------------------------------------- identity
    def catalog(self):
        def eps(url, other):
            return [{'id': uuid.uuid4().hex, 'interface': 'public', 'region': 'RegionOne',
                     'region_id': 'RegionOne', 'url': url},
                    {'id': uuid.uuid4().hex, 'interface': 'internal', 'region': 'RegionOne',
                     'region_id': 'RegionOne', 'url': other},
                    {'id': uuid.uuid4().hex, 'interface': 'public', 'region': 'RegionTwo',
                     'region_id': 'RegionTwo', 'url': other}]
        dead = 'http://127.0.0.1:9'
        return [{'type': 'identity', 'name': 'keystone', 'id': 'i',
                 'endpoints': eps(self.auth_url, dead)},
                {'type': 'compute', 'name': 'nova', 'id': 'c',
                 'endpoints': eps(self.url + '/compute/v2.1', dead + '/v2.1')},
                {'type': 'image', 'name': 'glance', 'id': 'g',
                 'endpoints': eps(self.url + '/image', dead)}] + (
                [{'type': 'network', 'name': 'neutron', 'id': 'n',
                  'endpoints': eps(self.url + '/network', dead)}] if self.networks else [])

    def issue(self, body):
        try:
            pw = body['auth']['identity']['password']['user']
            name, password = pw['name'], pw['password']
            project = body['auth']['scope']['project']['name']
        except (KeyError, TypeError):
            raise Reply(400, {'error': {'code': 400, 'message': 'Malformed auth request',
                                        'title': 'Bad Request'}}) from None
        if self.users.get(name) != password or project != 'demo':
            raise Reply(401, {'error': {'code': 401, 'title': 'Unauthorized',
                                        'message': 'The request you have made requires '
                                                   'authentication.'}})
        token = uuid.uuid4().hex
        expires = dt.datetime.now(dt.timezone.utc) + self.token_ttl
        self.tokens[token] = expires
        return Reply(201, {'token': {
            'methods': ['password'], 'expires_at': iso(expires),
            'user': {'id': 'u' * 32, 'name': name, 'domain': {'id': 'default',
                                                               'name': 'Default'}},
            'project': {'id': self.project_id, 'name': project,
                        'domain': {'id': 'default', 'name': 'Default'}},
            'roles': [{'id': 'r', 'name': 'member'}], 'catalog': self.catalog()}},
            {'X-Subject-Token': token})

    def check_token(self, headers):
        exp = self.tokens.get(headers.get('X-Auth-Token'))
        if exp is None or exp <= dt.datetime.now(dt.timezone.utc):
            raise Reply(401, {'error': {'code': 401, 'title': 'Unauthorized',
                                        'message': 'The request you have made requires '
                                                   'authentication.'}})

    # ----------------------------------------------------------- dispatch
    def handle(self, method, path, query, headers, read_body):
        if path == '/identity/v3/auth/tokens' and method == 'POST':
            body = json.loads(read_body() or b'{}')
            self.requests[-1] = self.requests[-1][:4] + (body,)
            return self.issue(body)
        if path == '/identity/v3/auth/tokens' and method == 'DELETE':
            self.tokens.pop(headers.get('X-Subject-Token'), None)
            return Reply(204)
        if path.startswith('/compute/v2.1'):
            if path in ('/compute/v2.1', '/compute/v2.1/'):
                return Reply(200, {'version': {'id': 'v2.1', 'status': 'CURRENT',
                                               'version': self.max_microversion,
                                               'min_version': '2.1' if
                                               self.max_microversion else ''}})
            self.check_token(headers)
            raw = read_body()
            body = json.loads(raw) if raw else None
            self.requests[-1] = self.requests[-1][:4] + (body,)
            return self.compute(method, path[len('/compute/v2.1'):], query, body)
        if path.startswith('/image/v2'):
            self.check_token(headers)
            sub = path[len('/image/v2'):]
            m = re.fullmatch(r'/images/([^/]+)/file', sub)
            if m and method == 'PUT':
                return self.upload(m.group(1), headers, read_body)
            raw = read_body()
            body = json.loads(raw) if raw else None
            self.requests[-1] = self.requests[-1][:4] + (body,)
            return self.image(method, sub, query, body)
        if path.startswith('/network/v2.0/networks'):
            self.check_token(headers)
            read_body()
            rest = path[len('/network/v2.0/networks'):]
            if rest:
                net = self.networks.get(rest.lstrip('/'))
                if net is None:
                    raise Reply(404, {'NeutronError': {
                        'type': 'NetworkNotFound', 'detail': '',
                        'message': f'Network {rest.lstrip("/")} could not be found.'}})
                return Reply(200, {'network': net})
            nets = [n for n in self.networks.values()
                    if 'name' not in query or n['name'] == query['name'][0]]
            return Reply(200, {'networks': nets})
        raise Reply(404, {'message': f'no route {path}'})

    # ----------------------------------------------------------- compute
    def server_view(self, s):
        return {k: v for k, v in s.items() if not k.startswith('_')}

    def get_server(self, sid):
        s = self.servers.get(sid)
        if s is None:
            raise nova_error(404, f'Instance {sid} could not be found.')
        return s

    def step(self, s):
        if s['_steps']:
            nxt = s['_steps'].pop(0)
            if nxt == 'GONE':
                del self.servers[s['id']]
                raise nova_error(404, f'Instance {s["id"]} could not be found.')
            status, task = nxt[:2]
            s['status'], s['OS-EXT-STS:task_state'] = status, task
            s['OS-EXT-STS:power_state'] = {'ACTIVE': 1, 'SHUTOFF': 4}.get(status, 0)
            if len(nxt) > 2:
                s['fault'] = {'code': 500, 'message': nxt[2]}

    def compute(self, method, path, query, body):
        if method == 'GET' and path == '/flavors/detail':
            return Reply(200, {'flavors': self.flavors})
        m = re.fullmatch(r'/flavors/([^/]+)', path)
        if method == 'GET' and m:
            for f in self.flavors:
                if f['id'] == m.group(1):
                    return Reply(200, {'flavor': f})
            raise nova_error(404, f'Flavor {m.group(1)} could not be found.')
        if path == '/servers' and method == 'POST':
            return self.create_server(body['server'])
        if path == '/servers/detail' and method == 'GET':
            return self.list_servers(query)
        m = re.fullmatch(r'/servers/([^/]+)', path)
        if m:
            s = self.get_server(m.group(1))
            if method == 'GET' and self.fail_server_gets:
                self.fail_server_gets -= 1
                raise Reply(503, {'computeFault': {'code': 503, 'message': 'restarting'}})
            if method == 'GET':
                self.step(s)
                return Reply(200, {'server': self.server_view(s)})
            if method == 'DELETE':
                s['_steps'] = [('ACTIVE', 'deleting'), 'GONE']
                return Reply(204)
        m = re.fullmatch(r'/servers/([^/]+)/action', path)
        if m and method == 'POST':
            return self.action(self.get_server(m.group(1)), body)
        if path == '/os-keypairs':
            if method == 'GET':
                return Reply(200, {'keypairs': [{'keypair': {
                    k: v for k, v in kp.items() if k != 'private_key'}}
                    for kp in self.keypairs.values()]})
            return self.create_keypair(body['keypair'])
        m = re.fullmatch(r'/os-keypairs/([^/]+)', path)
        if m:
            if m.group(1) not in self.keypairs:
                raise nova_error(404, f'Keypair {m.group(1)} not found for user u.')
            if method == 'DELETE':
                del self.keypairs[m.group(1)]
                return Reply(202)
            return Reply(200, {'keypair': self.keypairs[m.group(1)]})
        m = re.fullmatch(r'/os-simple-tenant-usage/([^/]+)', path)
        if m and method == 'GET':
            return Reply(200, {'tenant_usage': {
                'tenant_id': m.group(1), 'start': query['start'][0], 'stop': query['end'][0],
                'total_hours': 3.5, 'total_vcpus_usage': 7.0,
                'total_memory_mb_usage': 1792.0, 'total_local_gb_usage': 3.5,
                'server_usages': [{'instance_id': 'i1', 'name': 'web', 'hours': 3.5,
                                   'vcpus': 2, 'memory_mb': 512, 'local_gb': 1,
                                   'state': 'active', 'started_at': '2026-11-01T00:00:00',
                                   'ended_at': None}]}})
        raise nova_error(404, f'no route {method} {path}')

    def create_server(self, req):
        if req.get('flavorRef') not in {f['id'] for f in self.flavors}:
            raise nova_error(400, 'Flavor could not be found')
        if req.get('imageRef') not in self.images:
            raise nova_error(400, f'Image {req.get("imageRef")} could not be found.')
        if req.get('key_name') and req['key_name'] not in self.keypairs:
            raise nova_error(400, 'Invalid key_name provided.')
        sid = str(uuid.uuid4())
        steps = [('BUILD', 'scheduling'), ('BUILD', 'spawning'), ('ACTIVE', None)]
        if req['name'].startswith('boom'):
            steps[-1] = ('ERROR', None, 'No valid host was found. There are not enough hosts '
                                        'available.')
        if req['name'].startswith('stuck'):
            steps = [('BUILD', 'scheduling')] * 10000
        self.servers[sid] = {
            'id': sid, 'name': req['name'], 'status': 'BUILD', 'tenant_id': self.project_id,
            'OS-EXT-STS:task_state': 'scheduling', 'OS-EXT-STS:power_state': 0,
            'OS-EXT-STS:vm_state': 'building', 'key_name': req.get('key_name'),
            'image': {'id': req['imageRef']},
            'flavor': {'id': req['flavorRef']},
            'addresses': {'private': [{'version': 4, 'addr': '10.0.0.5'}]},
            'metadata': req.get('metadata') or {}, '_steps': steps, '_req': req}
        return Reply(202, {'server': {'id': sid, 'adminPass': 'pw', 'links': []}},
                     {'Location': f'{self.url}/compute/v2.1/servers/{sid}'})

    def list_servers(self, query):
        servers = list(self.servers.values())
        if 'name' in query:
            servers = [s for s in servers if re.search(query['name'][0], s['name'])]
        if 'marker' in query:
            ids = [s['id'] for s in servers]
            servers = servers[ids.index(query['marker'][0]) + 1:]
        page = servers[:self.page_size]
        body = {'servers': [self.server_view(s) for s in page]}
        if len(servers) > self.page_size:
            body['servers_links'] = [{'rel': 'next', 'href':
                                      f'{self.url}/compute/v2.1/servers/detail?'
                                      f'marker={page[-1]["id"]}'}]
        return Reply(200, body)

    def action(self, s, body):
        (name, arg), = body.items()
        if name == 'os-stop':
            if s['status'] != 'ACTIVE':
                raise nova_error(409, f"Cannot 'stop' instance {s['id']} while it is in "
                                      f"vm_state {s['status'].lower()}")
            s['OS-EXT-STS:task_state'] = 'powering-off'
            s['_steps'] = [('ACTIVE', 'powering-off'), ('SHUTOFF', None)]
        elif name == 'os-start':
            s['_steps'] = [('SHUTOFF', 'powering-on'), ('ACTIVE', None)]
        elif name == 'reboot':
            st = 'HARD_REBOOT' if arg['type'] == 'HARD' else 'REBOOT'
            s['_steps'] = [(st, 'reboot_started'), ('ACTIVE', None)]
        elif name == 'os-getConsoleOutput':
            lines = ['boot 1', 'boot 2', 'login:']
            n = (arg or {}).get('length')
            return Reply(200, {'output': '\n'.join(lines[-n:] if n else lines) + '\n'})
        elif name == 'createImage':
            iid = str(uuid.uuid4())
            self.images[iid] = self.image_record(iid, arg['name'], 'queued')
            if not s['name'].startswith('nosnap'):
                self.images[iid]['_steps'] = ['saving', 'active']
            s['_steps'] = [('ACTIVE', 'image_uploading'), ('ACTIVE', None)]
            return Reply(202, {'image_id': iid})
        else:
            raise nova_error(400, f'unknown action {name}')
        return Reply(202)

    def create_keypair(self, req):
        name = req['name']
        if name in self.keypairs:
            raise nova_error(409, f"Key pair '{name}' already exists.")
        kp = {'name': name, 'fingerprint': 'aa:bb', 'type': 'ssh', 'user_id': 'u' * 32,
              'public_key': req.get('public_key') or 'ssh-ed25519 AAAAgenerated'}
        out = dict(kp)
        if not req.get('public_key'):
            out['private_key'] = ('-----BEGIN OPENSSH PRIVATE KEY-----\nFAKEKEY\n'
                                  '-----END OPENSSH PRIVATE KEY-----\n')
        self.keypairs[name] = kp
        return Reply(201, {'keypair': out})

    # ----------------------------------------------------------- image
    def image_record(self, iid, name, status, **extra):
        return {'id': iid, 'name': name, 'status': status, 'visibility': 'private',
                'size': None, 'checksum': None, 'disk_format': extra.get('disk_format'),
                'container_format': extra.get('container_format'), 'owner': self.project_id,
                'tags': [], 'self': f'/v2/images/{iid}', 'file': f'/v2/images/{iid}/file',
                'schema': '/v2/schemas/image', **extra}

    def image_view(self, img):
        return {k: v for k, v in img.items() if not k.startswith('_')}

    def image(self, method, path, query, body):
        if path == '/images' and method == 'POST':
            iid = str(uuid.uuid4())
            body = dict(body)
            self.images[iid] = self.image_record(iid, body.pop('name', None), 'queued', **body)
            return Reply(201, self.image_view(self.images[iid]))
        if path == '/images' and method == 'GET':
            imgs = list(self.images.values())
            if 'name' in query:
                imgs = [i for i in imgs if i['name'] == query['name'][0]]
            if 'marker' in query:
                ids = [i['id'] for i in imgs]
                imgs = imgs[ids.index(query['marker'][0]) + 1:]
            page = imgs[:self.page_size]
            out = {'images': [self.image_view(i) for i in page], 'first': '/v2/images'}
            if len(imgs) > self.page_size:
                out['next'] = f'/v2/images?marker={page[-1]["id"]}'
            return Reply(200, out)
        m = re.fullmatch(r'/images/([^/]+)', path)
        if m:
            img = self.images.get(m.group(1))
            if img is None:
                raise glance_error(404, f'No image found with ID {m.group(1)}')
            if method == 'DELETE':
                del self.images[img['id']]
                return Reply(204)
            if img.get('_steps'):
                img['status'] = img['_steps'].pop(0)
            return Reply(200, self.image_view(img))
        raise glance_error(404, 'not found')

    def upload(self, iid, headers, read_body):
        img = self.images.get(iid)
        if img is None:
            raise glance_error(404, f'No image found with ID {iid}')
        info = read_body(stream=True)
        self.uploads.append({**info, 'chunked': 'chunked' in headers.get(
            'Transfer-Encoding', ''), 'content_length': headers.get('Content-Length')})
        img.update(status='active', size=info['size'], checksum=info['md5'])
        return Reply(204)


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def setup(self):
        super().setup()
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *a):
        pass

    def _read(self, stream=False):
        length = int(self.headers.get('Content-Length') or 0)
        if 'chunked' in self.headers.get('Transfer-Encoding', ''):
            data = b''
            while True:
                size = int(self.rfile.readline().strip(), 16)
                chunk = self.rfile.read(size + 2)[:size]
                if not size:
                    break
                data += chunk
            return {'size': len(data), 'md5': hashlib.md5(data).hexdigest(),
                    'reads': 1} if stream else data
        if not stream:
            return self.rfile.read(length) if length else b''
        md5, left, reads = hashlib.md5(), length, 0
        while left:
            chunk = self.rfile.read(min(left, 65536))
            if not chunk:
                break
            md5.update(chunk)
            left -= len(chunk)
            reads += 1
        return {'size': length - left, 'md5': md5.hexdigest(), 'reads': reads}

    def _handle(self):
        cloud = self.server.cloud
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        headers = CaseInsensitiveDict(self.headers.items())
        consumed = []

        def read_body(stream=False):
            consumed.append(True)
            return self._read(stream)

        with cloud.lock:
            cloud.requests.append((self.command, parts.path, query, headers, None))
            try:
                reply = cloud.handle(self.command, parts.path, query, headers, read_body)
            except Reply as r:
                reply = r
        if not consumed:
            self._read()
        data = b'' if reply.body is None else json.dumps(reply.body).encode()
        self.send_response(reply.status)
        for k, v in reply.headers.items():
            self.send_header(k, v)
        if data:
            self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle
