"""iaas-manage finds the all-in-one's configuration and state the way
iaas/cmd/common.discover_config says, and says "db sync" on an empty database."""
import json
import os
import subprocess
import sys

import pytest

from iaas.cmd import common


@pytest.fixture
def record(tmp_path, monkeypatch):
    path = tmp_path / 'record.json'
    monkeypatch.setenv('IAAS_ALLINONE_RECORD', str(path))
    # no standard config file of this machine may interfere
    monkeypatch.setattr(common.cfg, 'find_config_files', lambda project, prog: [])
    return path


def test_a_command_line_config_wins(record):
    common.record_allinone([], '/')
    assert common.discover_config(['--config-file', 'x.conf', 'status'], 'p') == (None, None)
    assert common.discover_config(['--config-dir=/etc/x', 'status'], 'p') == (None, None)


def test_standard_files_come_before_the_record(record, monkeypatch):
    common.record_allinone([], '/')
    monkeypatch.setattr(common.cfg, 'find_config_files',
                        lambda project, prog: ['/etc/iaas/iaas.conf'])
    assert common.discover_config(['status'], 'p') == (['/etc/iaas/iaas.conf'], None)


def test_the_last_allinone_is_found(record, tmp_path):
    conf = tmp_path / 'aio.conf'
    conf.write_text('[DEFAULT]\n')
    state = tmp_path / 'state'
    state.mkdir()
    common.record_allinone([str(conf), str(tmp_path / 'gone.conf')], str(state))
    assert json.loads(record.read_text())['state_path'] == str(state)
    assert common.discover_config(['status'], 'p') == ([str(conf)], str(state))
    state.rmdir()     # a record whose state is gone is ignored
    assert common.discover_config(['status'], 'p') == ([], None)


def test_no_record_means_the_defaults(record):
    assert common.discover_config(['db', 'sync'], 'p') == ([], None)
    record.write_text('not json')
    assert common.discover_config(['db', 'sync'], 'p') == ([], None)


def test_manage_uses_the_recorded_state_and_asks_for_db_sync(record, tmp_path):
    state = tmp_path / 'aio-state'
    state.mkdir()
    common.record_allinone([], str(state))
    out = subprocess.run([sys.executable, '-m', 'iaas.cmd.manage', 'service', 'list'],
                         capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, HOME=str(tmp_path)))   # no ~/.iaas/iaas.conf
    assert out.returncode == 2, out.stderr
    assert out.stderr.strip().endswith(
        f'the database at sqlite:///{state}/iaas.sqlite has no iaas schema: '
        'run "iaas-manage db sync" first')
    assert 'Traceback' not in out.stderr
