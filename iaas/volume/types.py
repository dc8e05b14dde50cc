"""Volume types for the REST layer: what the database layer does, named
for the service (the REST layer never imports iaas.db)."""
from iaas.db import volume_types as db

get = db.get
create = db.create
update = db.update
delete = db.delete
list_ = db.list_
set_extra_specs = db.set_extra_specs
delete_extra_spec = db.delete_extra_spec
add_access = db.add_access
remove_access = db.remove_access
