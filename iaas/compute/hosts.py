"""The hosts as the admin API sees them: services (up/down, enabled),
compute nodes and the servers on them (errors: ``ServiceNotFound``,
``ComputeNodeNotFound``)."""
from iaas.conf import CONF
from iaas.db import compute_nodes as db_nodes
from iaas.db import instances as db_instances
from iaas.db import services as db_services

service_list = db_services.service_list
service_get = db_services.service_get
service_update = db_services.service_update
service_delete = db_services.service_delete
node_list = db_nodes.list_
node_get = db_nodes.get


def is_up(service):
    """Whether ``service`` reported within ``[service] service_down_time``."""
    return db_services.is_up(service, CONF.service.service_down_time)


def servers_on(host):
    """The (not deleted) servers of every project on ``host``."""
    return db_instances.list_(db_instances.ALL_PROJECTS, filters={'host': host})
