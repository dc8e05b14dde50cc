"""The one plug-in loader and the start-up check of the configured names."""
import pytest

from iaas.cmd import common, daemons
from iaas.common import plugins
from iaas.compute import virt
from iaas.compute.virt.fake import FakeDriver
from iaas.image import stores
from iaas.scheduler import driver


def test_every_group_lists_its_plugins():
    assert plugins.names('iaas.compute.drivers') == ['fake', 'libvirt']
    assert plugins.names('iaas.image.stores') == ['file', 'objectstore', 's3']
    assert 'RamFilter' in plugins.names('iaas.scheduler.filters')
    assert 'RAMWeigher' in plugins.names('iaas.scheduler.weighers')
    assert plugins.names('iaas.no.such.group') == []


def test_load_returns_the_entry_point_object():
    assert plugins.load('iaas.compute.drivers', 'fake') is FakeDriver
    assert plugins.load('iaas.image.stores', 'file') is stores.file.FileStore


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(plugins.UnknownPlugin) as ei:
        plugins.load('iaas.compute.drivers', 'xen', '[compute] compute_driver')
    assert str(ei.value) == ("unknown compute driver 'xen' in [compute] compute_driver; "
                             "known: fake, libvirt")
    assert (ei.value.name, ei.value.known) == ('xen', ['fake', 'libvirt'])
    assert isinstance(ei.value, ValueError)


def test_check_reports_the_first_unknown_of_a_list():
    plugins.check('iaas.scheduler.weighers', ['RAMWeigher', 'DiskWeigher'])
    with pytest.raises(plugins.UnknownPlugin, match="unknown scheduler weigher 'Nope'"):
        plugins.check('iaas.scheduler.weighers', ['RAMWeigher', 'Nope', 'Other'])


def test_an_empty_group_says_none():
    with pytest.raises(plugins.UnknownPlugin, match="known: none$"):
        plugins.check('iaas.billing.plugins', 'x')


def test_the_callers_errors_are_the_loaders():
    assert virt.UnknownDriver is plugins.UnknownPlugin
    assert driver.UnknownPlugin is plugins.UnknownPlugin
    assert issubclass(stores.UnknownStore, plugins.UnknownPlugin)
    with pytest.raises(virt.UnknownDriver, match="unknown compute driver 'xen'"):
        virt.load_driver('xen', 'host1')


def test_image_store_checked_at_start(conf):
    stores.check_configured(conf)
    conf.set_override('default_store', 'ftp', group='image')
    with pytest.raises(stores.UnknownStore,
                       match=r"unknown image store 'ftp' in \[image\] default_store; "
                             r"known: file, objectstore, s3"):
        stores.check_configured(conf)


@pytest.mark.parametrize('name, section, option, value, message', [
    ('iaas-image', 'image', 'default_store', 'ftp',
     "unknown image store 'ftp' in [image] default_store; known: file, objectstore, s3"),
    ('iaas-compute', 'compute', 'compute_driver', 'xen',
     "unknown compute driver 'xen' in [compute] compute_driver; known: fake, libvirt"),
    ('iaas-scheduler', 'scheduler', 'weighers', 'RAMWeigher,Bogus',
     "unknown scheduler weigher 'Bogus' in [scheduler] weighers; known: "),
])
def test_daemon_with_unknown_plugin_fails_at_start(conf, tmp_path, capsys, name, section,
                                                   option, value, message):
    cfg = tmp_path / 'iaas.conf'
    cfg.write_text(f'[DEFAULT]\nstate_path = {tmp_path}\ntransport_url = memory://\n'
                   f'[database]\nconnection = sqlite:///{tmp_path}/db.sqlite\n'
                   f'[{section}]\n{option} = {value}\n')
    rc = common.run_services(name, daemons.DAEMONS[name], ['prog', '--config-file', str(cfg)])
    assert rc == 1
    assert f'{name} could not start: {message}' in capsys.readouterr().err
