"""Configuration: one module per option group.

Each module exposes ``register_opts(conf)`` and ``list_opts()``; nothing
registers on import. ``CONF`` below is the process-wide object; every entry
point (iaas/cmd/*, the object store's command, the tools, tests/conftest.py)
calls :func:`register_all` once before it parses the command line.
``tools/gen_config_sample.py`` writes ``etc/iaas.conf.sample`` from
:func:`list_opts`.
"""
import importlib

from oslo_config import cfg

# Option modules, in the order they appear in the sample file. A service
# package that adds a group adds its module name here.
MODULES = ['default', 'database', 'service', 'api', 'identity', 'objectstore', 'image',
           'scheduler', 'conductor', 'quota', 'compute', 'service_user', 'network', 'metadata',
           'libvirt', 'privsep', 'volume', 'backup', 'ec2', 'notifications', 'billing',
           'dashboard', 'serial_console', 'metrics', 'recovery']

CONF = cfg.ConfigOpts()


def _modules():
    return [importlib.import_module(f'{__name__}.{m}') for m in MODULES]


def register_all(conf=CONF):
    """Register every option group on ``conf``; idempotent (oslo.config
    ignores an option or group registered again)."""
    for mod in _modules():
        mod.register_opts(conf)
    return conf


def list_opts():
    """All options as [(group, [opts])], for the sample generator."""
    out = []
    for mod in _modules():
        for group, opts in mod.list_opts().items():
            out.append((group, opts))
    return out
