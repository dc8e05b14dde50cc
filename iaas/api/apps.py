"""The WSGI applications iaas-api serves, each on its own port.

Each API issue adds its application here: (name, app, port).
"""
from iaas.api.compute import app as compute_app
from iaas.api.ec2 import app as ec2_app
from iaas.api.identity import app as identity_api
from iaas.api.metadata import app as metadata_app
from iaas.api.network import app as network_app
from iaas.api.rating import app as rating_app
from iaas.api.volume import app as volume_app
from iaas.conf import CONF


def enabled_apps():
    apps = []
    apps.append(('identity', identity_api.build_app(), CONF.api.identity_port))
    apps.append(('compute', compute_app.build_app(), CONF.api.compute_port))
    apps.append(('network', network_app.build_app(), CONF.api.network_port))
    apps.append(('metadata', metadata_app.build_app(), CONF.api.metadata_port))
    apps.append(('volume', volume_app.build_app(), CONF.api.volume_port))
    apps.append(('ec2', ec2_app.build_app(), CONF.api.ec2_port))
    apps.append(('rating', rating_app.build_app(), CONF.api.rating_port))
    return apps
