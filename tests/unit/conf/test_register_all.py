"""Options are registered by the entry points, never as an import side effect."""
import subprocess
import sys

from oslo_config import cfg

from iaas import conf as iaas_conf


def test_importing_the_package_registers_nothing():
    code = ('from oslo_config import cfg\n'
            'from iaas.conf import CONF\n'
            'import iaas.compute.api, iaas.image.stores, iaas.identity.catalog\n'
            'try:\n'
            '    CONF.api\n'
            'except cfg.NoSuchOptError:\n'
            '    print("unregistered")\n')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         timeout=60)
    assert out.stdout.strip() == 'unregistered', out.stderr


def test_register_all_is_idempotent_and_covers_list_opts():
    conf = cfg.ConfigOpts()
    assert iaas_conf.register_all(conf) is conf
    iaas_conf.register_all(conf)          # again: no DuplicateOptError
    conf([], project='iaas', default_config_files=[])
    for group, opts in iaas_conf.list_opts():
        name = getattr(group, 'name', group)
        section = conf if name == 'DEFAULT' else getattr(conf, name)
        for opt in opts:
            getattr(section, opt.dest)      # registered: readable
