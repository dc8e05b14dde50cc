"""The WSGI applications iaas-api serves, each on its own port.

Each API issue adds its application here: (name, app, port).
"""
from iaas.conf import CONF


def enabled_apps():
    apps = []
    from iaas.api import versions
    apps.append(('identity', versions.placeholder_app('identity'), CONF.api.identity_port))
    return apps
