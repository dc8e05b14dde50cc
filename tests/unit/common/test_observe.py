"""The observed WSGI layer: /metrics (allowed networks only), /healthcheck
(plain for strangers, detail for admins and allowed networks, cached,
disable-by-file), request metrics by route template, request ids."""
import json
import logging

import pytest
import webob

from iaas import wsgi
from iaas.common import health, logs, metrics, observe
from iaas.context import current_request_id


def sample(name, **labels):
    return metrics.REGISTRY.get_sample_value(name, labels) or 0


@pytest.fixture
def app(conf):
    r = wsgi.Router()
    seen = {}

    @wsgi.public
    def show(req, thing_id):
        seen['rid'] = current_request_id()
        logging.getLogger('iaas.test').info('showing %s', thing_id)
        return {'id': thing_id}

    @wsgi.public
    def boom(req):
        raise RuntimeError('no')
    r.add('GET', '/things/{thing_id}', show)
    r.add('GET', '/boom', boom)
    app = observe.Observed(r, 'unit')
    app.seen = seen
    return app


def call(app, path, addr='127.0.0.1', method='GET', **headers):
    req = webob.Request.blank(path, method=method, remote_addr=addr, headers=headers)
    return req.get_response(app)


# -- who may read /metrics ----------------------------------------------------------
@pytest.mark.parametrize('addr,networks,ok', [
    ('127.0.0.1', ['127.0.0.0/8', '::1/128'], True),
    ('::1', ['127.0.0.0/8', '::1/128'], True),
    ('::ffff:127.0.0.1', ['127.0.0.0/8'], True),          # IPv4-mapped
    ('10.0.0.7', ['127.0.0.0/8', '::1/128'], False),
    ('10.0.0.7', ['10.0.0.0/24'], True),
    ('10.0.1.7', ['10.0.0.0/24'], False),
    ('192.0.2.5', ['192.0.2.5'], True),                    # a single address
    ('fe80::1%eth0', ['fe80::/10'], True),                 # scoped
    ('192.0.2.5', [], False),
    ('', ['0.0.0.0/0'], False),
    ('not-an-ip', ['0.0.0.0/0'], False),
    ('192.0.2.5', ['bogus', '192.0.2.0/24'], True),        # a bad entry is skipped
])
def test_address_allowed(addr, networks, ok):
    assert metrics.address_allowed(addr, networks) is ok


def test_metrics_from_an_allowed_address(app):
    call(app, '/things/42')
    r = call(app, '/metrics')
    assert r.status_int == 200
    assert r.content_type == 'text/plain'
    text = r.text
    assert 'iaas_http_requests_total{method="GET",route="/things/{thing_id}",' \
           'service="unit",status="200"}' in text
    assert 'process_resident_memory_bytes' in text
    assert 'iaas_process_threads' in text


def test_metrics_refused_elsewhere_as_an_unknown_path(app, conf):
    r = call(app, '/metrics', addr='203.0.113.9')
    assert r.status_int == 404
    assert b'iaas_http' not in r.body
    conf.set_override('allowed_networks', ['203.0.113.0/24'], group='metrics')
    assert call(app, '/metrics', addr='203.0.113.9').status_int == 200
    assert call(app, '/metrics', addr='127.0.0.1').status_int == 404


def test_requests_counted_by_route_template_method_and_status(app):
    before = sample('iaas_http_requests_total', service='unit', route='/things/{thing_id}',
                    method='GET', status='200')
    hist = sample('iaas_http_request_duration_seconds_count', service='unit',
                  route='/things/{thing_id}', method='GET')
    for i in range(3):
        assert call(app, f'/things/{i}').status_int == 200
    assert sample('iaas_http_requests_total', service='unit', route='/things/{thing_id}',
                  method='GET', status='200') == before + 3
    assert sample('iaas_http_request_duration_seconds_count', service='unit',
                  route='/things/{thing_id}', method='GET') == hist + 3
    # unknown paths share one label; odd methods are "other"; failures are 500s
    unmatched = sample('iaas_http_requests_total', service='unit', route=observe.UNMATCHED,
                       method='GET', status='404')
    call(app, '/nowhere/x1')
    call(app, '/nowhere/x2')
    assert sample('iaas_http_requests_total', service='unit', route=observe.UNMATCHED,
                  method='GET', status='404') == unmatched + 2
    call(app, '/things/1', method='BREW')
    assert sample('iaas_http_requests_total', service='unit', route=observe.UNMATCHED,
                  method='other', status='405') >= 1
    call(app, '/boom')
    assert sample('iaas_http_requests_total', service='unit', route='/boom', method='GET',
                  status='500') >= 1
    assert sample('iaas_http_requests_in_progress', service='unit') == 0


def test_request_id_is_current_while_handling_and_sent_back(app, caplog):
    caplog.handler.addFilter(logs.RequestIdFilter())
    with caplog.at_level(logging.INFO, logger='iaas.test'):
        r = call(app, '/things/7')
    rid = r.headers['X-OpenStack-Request-ID']
    assert rid.startswith('req-') and app.seen['rid'] == rid
    mine = [rec for rec in caplog.records if rec.name == 'iaas.test']
    assert mine and all(rec.request_id == rid for rec in mine)
    assert current_request_id() is None        # not left behind on the thread


# -- /healthcheck ---------------------------------------------------------------------
@pytest.fixture
def checks(monkeypatch, conf):
    """Stub checks whose results the test sets; no cache."""
    conf.set_override('healthcheck_cache_time', 0, group='metrics')
    state = {'database': None, 'bus': None, 'disk': None, 'runs': 0}

    def make(name):
        def check():
            state['runs'] += 1
            if state[name]:
                raise OSError(state[name])
            return {}
        return check
    for name in ('database', 'bus', 'disk'):
        monkeypatch.setitem(health.CHECKS, name, make(name))
    monkeypatch.setattr(health, '_admin_check', [lambda token: token == 'admin-token'])
    return state


def test_health_ok_and_down_for_anyone(app, checks):
    r = call(app, '/healthcheck', addr='198.51.100.1')
    assert (r.status_int, r.body) == (200, b'OK')
    checks['database'] = 'connection refused'
    r = call(app, '/healthcheck', addr='198.51.100.1')
    assert (r.status_int, r.body) == (503, b'DOWN')
    assert b'refused' not in r.body
    r = call(app, '/healthcheck', addr='198.51.100.1', method='HEAD')
    assert r.status_int == 503


def test_health_detail_for_admins_and_allowed_networks(app, checks):
    checks['bus'] = 'broker gone'
    for r in (call(app, '/healthcheck', addr='198.51.100.1', Accept='application/json',
                   **{'X-Auth-Token': 'admin-token'}),
              call(app, '/healthcheck?detail', addr='127.0.0.1')):
        assert r.status_int == 503
        body = json.loads(r.body)
        assert body['status'] == 'DOWN'
        assert body['checks']['bus'] == {'ok': False, 'error': 'OSError: broker gone',
                                         'seconds': body['checks']['bus']['seconds']}
        assert body['checks']['database']['ok'] is True
    r = call(app, '/healthcheck?detail=1', addr='198.51.100.1',
             **{'X-Auth-Token': 'member-token'})
    assert (r.status_int, r.body) == (503, b'DOWN')
    # a plain probe gets the plain word, even from an allowed network (as Swift's)
    assert call(app, '/healthcheck', addr='127.0.0.1').body == b'DOWN'


def test_health_is_cached(app, checks, conf):
    conf.set_override('healthcheck_cache_time', 60, group='metrics')
    for _ in range(5):
        assert call(app, '/healthcheck').status_int == 200
    assert checks['runs'] == 3          # one run of the three checks


def test_health_disabled_by_file(app, checks, conf, tmp_path):
    switch = tmp_path / 'disable'
    conf.set_override('healthcheck_disable_path', str(switch), group='metrics')
    assert call(app, '/healthcheck').status_int == 200
    switch.touch()
    r = call(app, '/healthcheck')
    assert (r.status_int, r.body) == (503, b'DISABLED BY FILE')


def test_health_down_on_an_unreachable_database(conf, tmp_path):
    conf.set_override('connection', f'sqlite:///{tmp_path}/no/such/dir/x.sqlite',
                      group='database')
    conf.set_override('transport_url', 'memory://')
    result = health.HealthCheck().run()
    assert result['ok'] is False
    assert result['checks']['database']['ok'] is False
    assert 'OperationalError' in result['checks']['database']['error']
    assert result['checks']['bus']['ok'] is True
    assert result['checks']['disk']['ok'] is True
    assert conf.state_path in result['checks']['disk']['paths']


def test_health_disk_minimum(conf, monkeypatch):
    monkeypatch.setattr(health.shutil, 'disk_usage',
                        lambda p: type('U', (), {'free': 10 << 20})())
    conf.set_override('healthcheck_min_free_disk_mb', 64, group='metrics')
    with pytest.raises(OSError, match='10 MiB free'):
        health.check_disk()
    conf.set_override('healthcheck_min_free_disk_mb', 0, group='metrics')
    assert health.check_disk()['paths'][conf.state_path] == {'free_mb': 10}


def test_app_names_its_checks(conf):
    class Store:
        health_checks = ('disk',)

        def __call__(self, environ, start_response):
            raise AssertionError
    assert observe.Observed(Store(), 'store').health.checks == ('disk',)
    with pytest.raises(ValueError):
        health.HealthCheck(('disk', 'moon'))


# -- the other hooks -------------------------------------------------------------------
def test_rpc_outcomes():
    class Timeout(Exception):
        metrics_outcome = 'timeout'
    remote = ValueError('x')
    remote.remote = True
    for exc, outcome in ((Timeout(), 'timeout'), (remote, 'remote_error'),
                         (KeyError('k'), 'error')):
        before = sample('iaas_rpc_client_requests_total', topic='t', method='m', kind='call',
                        outcome=outcome)
        with pytest.raises(type(exc)):
            with metrics.rpc_sent('t', 'm', 'call'):
                raise exc
        assert sample('iaas_rpc_client_requests_total', topic='t', method='m', kind='call',
                      outcome=outcome) == before + 1


def test_rpc_served_bounds_method_names():
    before = sample('iaas_rpc_server_requests_total', topic='t', method='unknown',
                    outcome='error')
    with metrics.rpc_served('t', 'made-up-by-a-sender', {'ping'}) as served:
        served.reply = {'failure': {}}
    assert sample('iaas_rpc_server_requests_total', topic='t', method='unknown',
                  outcome='error') == before + 1


def test_db_pool_reported(sqlite_db):
    from iaas.db import engine
    engine.get_engine()
    text = metrics.render()[0].decode()
    assert 'iaas_db_pool_checked_out{database="sqlite:unit.sqlite"}' in text


def test_metrics_listener_of_a_daemon_without_http(conf, monkeypatch):
    import requests
    monkeypatch.setattr(health, '_admin_check', [None])     # observability() sets it

    from iaas.cmd import common
    from iaas.service import Launcher
    conf.set_override('daemon_ports', {'iaas-scheduler': '0'}, group='metrics')
    launcher = Launcher()
    common.observability('iaas-scheduler', launcher)
    assert launcher.services == []          # port 0: none
    conf.set_override('port', 1, group='metrics')
    conf.set_override('daemon_ports', {}, group='metrics')
    common.observability('iaas-compute', launcher)
    (listener,) = launcher.services
    assert isinstance(listener, observe.MetricsListener) and listener.server.port == 1
    listener = observe.MetricsListener('iaas-compute', '127.0.0.1', 0)
    listener.start()
    try:
        base = f'http://127.0.0.1:{listener.port}'
        r = requests.get(base + '/metrics', timeout=10)
        assert r.status_code == 200 and 'iaas_process_threads' in r.text
        assert requests.get(base + '/anything', timeout=10).status_code == 404
    finally:
        listener.stop()
