"""Instance records the compute REST layer reads besides :mod:`iaas.compute.api`'s
checked views: a deleted instance's record (instance actions from 2.21),
the action log, and the RE2 name filter of the list queries."""
from iaas.db import instances as db

name_filter = db.name_filter
actions_list = db.actions_list
action_get = db.action_get


def get_including_deleted(uuid):
    """The instance ``uuid`` of any project, deleted or not (InstanceNotFound)."""
    return db.get(uuid, include_deleted=True)
