"""Without a netns and without manage_host_networking, iaas-network touches
nothing on the machine (an all-in-one process must not rewrite the firewall
of the host it runs on)."""
import pytest

from iaas.network import manager


class Untouchable:
    def __getattr__(self, name):
        raise AssertionError(f'host-side call {name} without netns')


def test_no_host_side_work_by_default(conf, sqlite_db):
    m = manager.NetworkManager('h1', net=Untouchable())
    assert m.host_side is False
    m.init_host()
    m.sync()
    m.refresh(None)


@pytest.mark.parametrize('opts', [{'netns': 'some-ns'}, {'manage_host_networking': True}])
def test_host_side_work_when_asked(conf, opts):
    for k, v in opts.items():
        conf.set_override(k, v, group='network')
    assert manager.NetworkManager('h1', net=Untouchable()).host_side is True
