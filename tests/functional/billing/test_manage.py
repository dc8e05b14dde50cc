"""iaas-manage price set/list/meters: effective-dated rows, history kept."""
import subprocess
import sys


def manage(conf, tmp_path, *args):
    cfg = tmp_path / 'manage.conf'
    cfg.write_text(f'[DEFAULT]\nstate_path = {conf.state_path}\n'
                   f'[database]\nconnection = {conf.database.connection}\n')
    return subprocess.run([sys.executable, '-m', 'iaas.cmd.manage', '--config-file', str(cfg),
                           *args], capture_output=True, text=True, timeout=120)


def test_price_commands(conf, sqlite_db, tmp_path):
    r = manage(conf, tmp_path, 'price', 'set', 'instance.running', '0.02', '--key',
               'm1.small', '--from', '2025-01-01T00:00:00')
    assert r.returncode == 0, r.stderr
    assert manage(conf, tmp_path, 'price', 'set', 'instance.running', '0.025', '--key',
                  'm1.small', '--from', '2025-03-16T00:00:00', '--note',
                  'spring').returncode == 0
    bad = manage(conf, tmp_path, 'price', 'set', 'no.such.meter', '1')
    assert bad.returncode == 2 and 'unknown meter' in bad.stderr
    assert manage(conf, tmp_path, 'price', 'set', 'floating_ip.hours', '-1').returncode == 2
    out = manage(conf, tmp_path, 'price', 'list').stdout
    assert '| 0.02 ' in out and '| 0.025 ' in out and 'spring' in out
    out = manage(conf, tmp_path, 'price', 'list', '--current').stdout   # now: the later row
    assert '| 0.025 ' in out and '| 0.02 ' not in out
    assert 'floating_ip.hours' in manage(conf, tmp_path, 'price', 'meters').stdout
