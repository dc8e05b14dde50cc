"""Service rows, heartbeats and `iaas-manage service …` on each database."""
import datetime
import os
import subprocess
import sys
import time

from iaas import manager
from iaas.db import services as db_services
from iaas.service import Service


def manage(conf, tmp_path, *args):
    cfg = tmp_path / 'manage.conf'
    cfg.write_text(f'[DEFAULT]\nstate_path = {conf.state_path}\n'
                   f'[database]\nconnection = {conf.database.connection}\n'
                   f'[service]\nservice_down_time = 2\n')
    exe = os.path.join(os.path.dirname(sys.executable), 'iaas-manage')
    return subprocess.run([exe, '--config-file', str(cfg), *args],
                          capture_output=True, text=True, timeout=60)


def row_state(out, binary):
    for line in out.splitlines():
        if f' {binary} ' in line:
            return [c.strip() for c in line.strip('|').split('|')]
    raise AssertionError(f'{binary} not listed:\n{out}')


def test_missing_heartbeats_show_down(conf, db_url, tmp_path):
    conf.set_override('report_interval', 1, group='service')
    svc = Service('iaas-hbtest', None, manager.Manager('hb-host'), host='hb-host')
    svc.start()
    try:
        first = db_services.service_get('hb-host', 'iaas-hbtest')['report_count']
        deadline = time.monotonic() + 10
        while db_services.service_get('hb-host', 'iaas-hbtest')['report_count'] <= first:
            assert time.monotonic() < deadline, 'no heartbeat written'
            time.sleep(0.1)
        out = manage(conf, tmp_path, 'service', 'list')
        assert out.returncode == 0, out.stderr
        assert row_state(out.stdout, 'iaas-hbtest')[6] == 'up'
    finally:
        svc.stop()
    # No more heartbeats: after service_down_time (2 s) the service is down.
    deadline = time.monotonic() + 15
    while True:
        out = manage(conf, tmp_path, 'service', 'list')
        if row_state(out.stdout, 'iaas-hbtest')[6] == 'down':
            break
        assert time.monotonic() < deadline, out.stdout
        time.sleep(0.5)


def test_disable_enable(conf, db_url, tmp_path):
    db_services.service_register('h9', 'iaas-compute', 'compute')
    out = manage(conf, tmp_path, 'service', 'disable', 'h9', 'iaas-compute',
                 '--reason', 'maintenance')
    assert out.returncode == 0, out.stderr
    row = row_state(manage(conf, tmp_path, 'service', 'list').stdout, 'iaas-compute')
    assert row[5] == 'disabled' and row[8] == 'maintenance'
    assert manage(conf, tmp_path, 'service', 'enable', 'h9', 'iaas-compute').returncode == 0
    assert db_services.service_get('h9', 'iaas-compute')['disabled'] is False
    bad = manage(conf, tmp_path, 'service', 'disable', 'nohost', 'iaas-compute')
    assert bad.returncode == 2 and 'no service' in bad.stderr
    assert 'Traceback' not in bad.stderr


def test_is_up():
    now = datetime.datetime(2026, 1, 1, 12, 0, 0)
    svc = {'last_seen_up': now - datetime.timedelta(seconds=30), 'forced_down': False}
    assert db_services.is_up(svc, 60, now=now)
    assert not db_services.is_up(svc, 10, now=now)
    assert not db_services.is_up(dict(svc, forced_down=True), 60, now=now)
    assert not db_services.is_up({'last_seen_up': None}, 60, now=now)
