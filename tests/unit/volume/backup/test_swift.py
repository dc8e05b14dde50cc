"""The Swift store of the backup engine against a scripted HTTP session:
ETag on PUT, retries with backoff, 404s, listing pages, catalog endpoint."""
import hashlib
import json

import pytest
import requests
import urllib3

from iaas.common import service_auth
from iaas.volume.backup import swift
from iaas.volume.backup.engine import ObjectNotFound, StoreError


class Resp:
    def __init__(self, status, body=b'', headers=None):
        self.status_code, self.content, self.headers = status, body, headers or {}

    @property
    def text(self):
        return self.content.decode(errors='replace')

    def json(self):
        return json.loads(self.content)


class Session:
    """Answers each request with the next scripted answer (a Resp, an
    exception to raise, or a function of the request)."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    def request(self, method, url, data=None, params=None, headers=None, timeout=None,
                stream=False):
        self.calls.append({'method': method, 'url': url, 'data': data, 'params': params,
                           'headers': headers, 'stream': stream})
        a = self.answers.pop(0)
        if isinstance(a, Exception):
            raise a
        return a(self.calls[-1]) if callable(a) else a


class Auth:
    def __init__(self, session, url='http://os:8080/v1/AUTH_svc'):
        self.session, self.url = session, url

    def headers(self, extra=None):
        return {'X-Auth-Token': 'tok', **(extra or {})}

    def endpoint(self, service_type):
        assert service_type == 'object-store'
        if self.url is None:
            raise service_auth.ServiceAuthError('no object-store endpoint in the catalog')
        return self.url


def store(*answers, url=None, auth_url='http://os:8080/v1/AUTH_svc'):
    s = Session(*answers)
    return swift.SwiftStore('backups', auth=Auth(s, auth_url), url=url, retries=3,
                            backoff=0), s


def test_put_sends_the_md5_and_checks_the_answer():
    data = b'x' * 1000
    md5 = hashlib.md5(data).hexdigest()
    st, s = store(Resp(201, headers={'ETag': f'"{md5}"'}))
    st.put('backup/b/chunk-00000000', data)
    call = s.calls[0]
    assert call['method'] == 'PUT' and call['data'] is data
    assert call['url'] == 'http://os:8080/v1/AUTH_svc/backups/backup/b/chunk-00000000'
    assert call['headers']['ETag'] == md5 and call['headers']['X-Auth-Token'] == 'tok'


def test_put_retries_5xx_connection_errors_and_a_wrong_etag():
    data = b'abc'
    md5 = hashlib.md5(data).hexdigest()
    st, s = store(Resp(503), requests.ConnectionError('reset'),
                  Resp(201, headers={'ETag': 'f' * 32}), Resp(201, headers={'ETag': md5}))
    st.put('o', data)
    assert len(s.calls) == 4


def test_put_gives_up_after_the_retries():
    st, s = store(*[Resp(500)] * 4)
    with pytest.raises(StoreError, match='PUT backups/o failed: 500'):
        st.put('o', b'')
    assert len(s.calls) == 4


def test_a_client_error_is_not_retried():
    st, s = store(Resp(403, b'forbidden'))
    with pytest.raises(StoreError, match='403'):
        st.put('o', b'')
    assert len(s.calls) == 1


def test_get_delete_and_missing_objects():
    st, s = store(Resp(200, b'data'), requests.Timeout('slow'), Resp(404), Resp(404),
                  Resp(204))
    assert st.get('a b') == b'data'
    assert s.calls[0]['url'].endswith('/backups/a%20b')
    with pytest.raises(ObjectNotFound):
        st.get('gone')
    st.delete('gone')
    st.delete('there')


class Raw:
    """A streamed body (urllib3's HTTPResponse): read() once, then release_conn()."""

    def __init__(self, body=b'', error=None):
        self.body, self.error, self.reads, self.released = body, error, 0, False

    def read(self):
        self.reads += 1
        if self.error is not None:
            raise self.error
        return self.body

    def release_conn(self):
        self.released = True


class Streamed(Resp):
    def __init__(self, status, raw, headers=None):
        super().__init__(status, b'', headers)
        self.raw, self.closed = raw, False

    def close(self):
        self.closed = True


def test_get_streams_the_body_in_one_read_and_retries_a_broken_one():
    broken = Streamed(200, Raw(error=urllib3.exceptions.ProtocolError('IncompleteRead')))
    ok = Streamed(200, Raw(b'chunk' * 1000))
    st, s = store(broken, ok)
    assert st.get('o') == b'chunk' * 1000
    assert [c['stream'] for c in s.calls] == [True, True]
    assert broken.closed and not broken.raw.released       # a broken connection is dropped
    assert ok.raw.reads == 1 and ok.raw.released and not ok.closed


def test_a_connection_pool_per_object_store_address():
    class MountingSession(Session):
        mounts = []

        def mount(self, prefix, adapter):
            self.mounts.append((prefix, adapter._pool_maxsize))
    s = MountingSession(Resp(200, b'a'), Resp(200, b'b'), Resp(204))
    st = swift.SwiftStore('backups', auth=Auth(s, 'https://os:8443/v1/AUTH_svc'),
                          retries=0, pool_size=6)
    assert st.get('a') == b'a' and st.get('b') == b'b'
    st.delete('c')
    assert s.mounts == [('https://os:8443/', 6)]


def test_list_pages_and_missing_container():
    page1 = [{'name': f'p/{i}'} for i in range(3)]
    st, s = store(Resp(200, json.dumps(page1).encode()),
                  Resp(200, json.dumps([{'name': 'p/9'}]).encode()), Resp(204),
                  Resp(404))
    assert st.list('p/') == ['p/0', 'p/1', 'p/2', 'p/9']
    assert [c['params']['marker'] for c in s.calls] == ['', 'p/2', 'p/9']
    assert s.calls[0]['params']['prefix'] == 'p/'
    assert st.list('q/') == []


def test_ensure_container_once_and_configured_url():
    st, s = store(Resp(202), url='http://other:1/v1/AUTH_x/')
    st.ensure_container()
    st.ensure_container()
    assert len(s.calls) == 1
    assert s.calls[0]['url'] == 'http://other:1/v1/AUTH_x/backups'


def test_no_endpoint_is_a_store_error():
    st, _s = store(auth_url=None)
    with pytest.raises(StoreError, match='no object store'):
        st.get('o')


def test_from_conf(conf):
    conf.set_override('container', 'vb', group='backup')
    conf.set_override('swift_url', 'http://h:8080/v1/AUTH_a', group='backup')
    st = swift.SwiftStore.from_conf(conf, auth=swift.StaticAuth('http://unused', 't'))
    assert st.container == 'vb' and st._base() == 'http://h:8080/v1/AUTH_a'
    assert st._pool_size == conf.backup.workers + 2
    assert swift.StaticAuth('http://h/', 't').headers({'A': '1'}) == \
        {'X-Auth-Token': 't', 'A': '1'}
