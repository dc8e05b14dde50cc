"""Which services each daemon runs. iaas-all runs all of them.

A service package that adds a daemon or an API adds its builder here; a
builder takes the launcher and adds services to it.
"""
import logging
import sys

from iaas.conf import CONF
from iaas.service import Service, WSGIService

LOG = logging.getLogger(__name__)


def _rpc_service(binary, topic, manager_cls):
    def build(launcher):
        launcher.add(Service(binary, topic, manager_cls(CONF.host)))
    return build


def build_scheduler(launcher):
    from iaas.scheduler import manager, rpcapi
    _rpc_service('iaas-scheduler', rpcapi.TOPIC, manager.SchedulerManager)(launcher)


def build_conductor(launcher):
    from iaas.conductor import manager, rpcapi
    _rpc_service('iaas-conductor', rpcapi.TOPIC, manager.ConductorManager)(launcher)


def build_compute(launcher):
    from iaas.compute import manager, rpcapi
    if CONF.fake_driver.hosts:
        # scale simulation: many fake hosts in this process (docs/operators/scale.md)
        from iaas.compute import multihost
        if CONF.compute.compute_driver != 'fake':
            raise ValueError('[fake_driver] hosts needs [compute] compute_driver = fake')
        if CONF.conductor.compute_key:
            raise ValueError('[fake_driver] hosts: each fake host signs with its own key, '
                             'derived from [conductor] master_key_file; [conductor] '
                             'compute_key (one host\'s key) must be empty')
        launcher.add(multihost.MultiHostService(multihost.host_names(
            CONF.fake_driver.host_prefix, CONF.fake_driver.hosts)))
        return
    _rpc_service('iaas-compute', rpcapi.TOPIC, manager.ComputeManager)(launcher)


def build_network(launcher):
    from iaas.network import manager, rpcapi
    _rpc_service('iaas-network', rpcapi.TOPIC, manager.NetworkManager)(launcher)


def build_volume(launcher):
    from iaas.volume import manager, rpcapi
    _rpc_service('iaas-volume', rpcapi.TOPIC, manager.VolumeManager)(launcher)


def build_billing(launcher):
    """iaas-billing: usage notifications, reconciliation, invoices, budgets."""
    from iaas.billing import manager
    _rpc_service('iaas-billing', manager.TOPIC, manager.BillingManager)(launcher)


def build_api(launcher):
    """The REST APIs of iaas-api, one listening port each."""
    from iaas.api import apps
    for name, app, port in apps.enabled_apps():
        launcher.add(WSGIService(name, app, CONF.api.listen, port))


def build_image(launcher):
    """iaas-image: the Glance-v2-compatible image API."""
    from iaas.api.image import app
    from iaas.image import stores
    from iaas.image.janitor import Janitor
    stores.check_configured(CONF)
    launcher.add(WSGIService('image', app.build_app(), CONF.image.listen or CONF.api.listen,
                             CONF.image.port, threads=CONF.image.threads))
    launcher.add(Janitor(CONF))


def build_objectstore(launcher):
    """The object store of iaas-all: proxy (Swift + S3 API) with its storage
    server in-process (no storage port), replicator, auditor, expirer; makes a
    single-node ring under state_path on first start. The iaas-objectstore
    command (iaas.objectstore.cmd) runs the same with a storage port."""
    from iaas.objectstore import daemon
    daemon.build(launcher, in_process=True)


def build_dashboard(launcher):
    """iaas-dashboard: the web interface over the public APIs (user's tokens)."""
    from iaas.dashboard import app
    launcher.add(WSGIService('dashboard', app.build_app(),
                             CONF.dashboard.listen or CONF.api.listen, CONF.dashboard.port,
                             threads=CONF.dashboard.threads))


def build_serialproxy(launcher):
    """iaas-serialproxy: guests' serial consoles as websockets (one-time tokens).
    Only with [serial_console] enabled (iaas-all starts it then too)."""
    from iaas.console import serialproxy
    if not CONF.serial_console.enabled:
        LOG.info('[serial_console] enabled is false: no console proxy')
        return
    launcher.add(serialproxy.SerialProxy.from_conf(CONF))


DAEMONS = {
    'iaas-api': build_api,
    'iaas-image': build_image,
    'iaas-objectstore': build_objectstore,
    'iaas-conductor': build_conductor,     # before the hosts that register through it
    'iaas-scheduler': build_scheduler,
    'iaas-compute': build_compute,
    'iaas-network': build_network,
    'iaas-volume': build_volume,
    'iaas-billing': build_billing,
    'iaas-dashboard': build_dashboard,
    'iaas-serialproxy': build_serialproxy,
}


# Daemons of hypervisor, network and volume hosts: no database credentials; their
# state goes through iaas-conductor, and any database use fails loudly.
NO_DATABASE = ('iaas-compute', 'iaas-network', 'iaas-volume')


def _main(name):
    def main(argv=None):
        from iaas.cmd import common
        if name in NO_DATABASE:
            from iaas.db import engine
            engine.forbid(f'{name} reaches state through iaas-conductor')
        return common.run_services(name, DAEMONS[name], argv)
    main.__name__ = main.__qualname__ = name.replace('iaas-', '') + '_main'
    return main


# Console-script entry points (pyproject.toml [project.scripts]).
api_main = _main('iaas-api')
image_main = _main('iaas-image')
objectstore_main = _main('iaas-objectstore')
scheduler_main = _main('iaas-scheduler')
conductor_main = _main('iaas-conductor')
compute_main = _main('iaas-compute')
network_main = _main('iaas-network')
volume_main = _main('iaas-volume')
billing_main = _main('iaas-billing')
dashboard_main = _main('iaas-dashboard')
serialproxy_main = _main('iaas-serialproxy')


if __name__ == '__main__':     # python -m iaas.cmd.daemons NAME [options]
    sys.exit(_main(sys.argv[1])(sys.argv[1:]))
