"""QoS specs and host usage for the REST layer: what the database layer does, named for
the service (the REST layer never imports iaas.db)."""
from iaas.db import volume_hosts
from iaas.db import volume_qos as db

CONSUMERS = ('front-end', 'back-end', 'both')

create = db.create
get = db.get
list_ = db.list_
update = db.update
delete_keys = db.delete_keys
delete = db.delete
associations = db.associations
associate = db.associate
disassociate = db.disassociate
disassociate_all = db.disassociate_all
host_usage = volume_hosts.usage
