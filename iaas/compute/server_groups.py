"""Server groups (affinity policies) as the REST layer uses them (errors:
``GroupNotFound``, ``QuotaExceeded``)."""
from iaas.db import server_groups as db

create = db.create
get = db.get
list_ = db.list_
delete = db.delete
group_of = db.group_of
