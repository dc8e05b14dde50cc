"""Flavors as the compute REST layer uses them: records, extra specs and
project access (errors: :mod:`iaas.exception` ``Flavor*``)."""
from iaas.db import flavors as db

list_ = db.list_
get = db.get
get_by_name = db.get_by_name
create = db.create
update = db.update
delete = db.delete
set_extra_specs = db.set_extra_specs
delete_extra_spec = db.delete_extra_spec
access_list = db.access_list
access_add = db.access_add
access_remove = db.access_remove
