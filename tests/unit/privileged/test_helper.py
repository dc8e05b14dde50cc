"""iaas-privsep-helper takes exactly the command line sudoers allows."""
import pytest

from iaas.privileged import helper

GOOD = ['--config-file', '/etc/iaas/iaas.conf', '--privsep_context',
        'iaas.privileged.net_admin', '--privsep_sock_path', '/tmp/tmpabc/privsep.sock']


def test_the_command_privsep_builds():
    assert helper.parse(GOOD) == (['--config-file', '/etc/iaas/iaas.conf'],
                                  'iaas.privileged.net_admin')
    assert helper.parse(['--config-dir=/etc/iaas/conf.d', *GOOD[2:]])[0] == [
        '--config-dir', '/etc/iaas/conf.d']


@pytest.mark.parametrize('argv', [
    GOOD + ['--privsep_context', 'os.system'],                 # a second context
    GOOD[:3] + ['oslo_privsep.priv_context.PrivContext'] + GOOD[4:],
    GOOD[:-1] + ['relative.sock'],
    GOOD + ['--debug'],
    GOOD[:-2],
    GOOD + ['--config-file'],
])
def test_anything_else_is_refused(argv):
    with pytest.raises(SystemExit):
        helper.parse(argv)
