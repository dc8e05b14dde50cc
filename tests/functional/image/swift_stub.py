"""A minimal Swift-API test server (v1 auth, containers, objects with Range)
for the objectstore store's tests, used when iaas-objectstore is not at
hand. Objects live in a dict; every request is recorded."""
import re
import threading

import webob

TOKEN = 'AUTH_tk_test'


class SwiftStub:
    def __init__(self):
        self.containers = {}   # name -> {obj: bytes}
        self.lock = threading.Lock()
        self.requests = []

    def __call__(self, environ, start_response):
        req = webob.Request(environ)
        self.requests.append((req.method, req.path_info))
        return self.handle(req)(environ, start_response)

    def handle(self, req):
        if req.path_info == '/auth/v1.0':
            if req.headers.get('X-Auth-User') != 'test:tester' or \
                    req.headers.get('X-Auth-Key') != 'testing':
                return webob.Response(status=401)
            r = webob.Response(status=200)
            r.headers['X-Storage-Url'] = f'{req.host_url}/v1/AUTH_test'
            r.headers['X-Auth-Token'] = TOKEN
            return r
        if req.headers.get('X-Auth-Token') != TOKEN:
            return webob.Response(status=401)
        m = re.match(r'^/v1/AUTH_test/([^/]+)(?:/(.+))?$', req.path_info)
        if not m:
            return webob.Response(status=404)
        cont, obj = m.group(1), m.group(2)
        with self.lock:
            if obj is None:
                if req.method == 'PUT':
                    created = cont not in self.containers
                    self.containers.setdefault(cont, {})
                    return webob.Response(status=201 if created else 202)
                return webob.Response(status=405)
            objs = self.containers.get(cont)
            if objs is None:
                return webob.Response(status=404)
            if req.method == 'PUT':
                objs[obj] = req.body_file.read()
                return webob.Response(status=201)
            if req.method == 'DELETE':
                return webob.Response(status=204 if objs.pop(obj, None) is not None else 404)
            if req.method == 'GET':
                if obj not in objs:
                    return webob.Response(status=404)
                data = objs[obj]
                rng = re.match(r'bytes=(\d+)-(\d*)$', req.headers.get('Range', ''))
                if rng:
                    start = int(rng.group(1))
                    end = int(rng.group(2)) if rng.group(2) else len(data) - 1
                    r = webob.Response(status=206, body=data[start:end + 1])
                    r.headers['Content-Range'] = f'bytes {start}-{end}/{len(data)}'
                    return r
                return webob.Response(status=200, body=data)
        return webob.Response(status=405)

    def all_objects(self):
        with self.lock:
            return {f'{c}/{o}' for c, objs in self.containers.items() for o in objs}
