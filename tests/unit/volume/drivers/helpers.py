"""Helpers of the volume driver tests. A backend's option group as the volume manager builds it: the driver's
options registered in ``[backend_<name>]`` of a private ConfigOpts whose
DEFAULT has ``state_path`` (so ``$state_path`` defaults resolve)."""
import uuid

from oslo_config import cfg

from iaas.conf import default


def make_conf(cls, state_path, name='test', **overrides):
    conf = cfg.ConfigOpts()
    default.register_opts(conf)
    conf.register_opts(cls.options, group=f'backend_{name}')
    conf([], project='iaas-test', default_config_files=[])
    conf.set_override('state_path', str(state_path))
    for key, value in overrides.items():
        conf.set_override(key, value, group=f'backend_{name}')
    return conf[f'backend_{name}']


def new_volume(size=1, **extra):
    return {'id': str(uuid.uuid4()), 'size': size, **extra}


def new_snapshot(volume, **extra):
    return {'id': str(uuid.uuid4()), 'volume_id': volume['id'], 'volume_size': volume['size'],
            **extra}

