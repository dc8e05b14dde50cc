"""Compute quotas as the REST layer reads and sets them: per-project limits
and the usage counted from the resources (errors: ``QuotaExceeded``)."""
from iaas.db import quotas as db

defaults = db.defaults
get_limits = db.get_limits
set_limits = db.set_limits
reset_limits = db.reset_limits


def usage(project_id):
    """What project ``project_id`` uses of each limited resource the API shows."""
    u = db.usage(project_id)
    return {'instances': u['instances'], 'cores': u['cores'], 'ram': u['ram'],
            'server_groups': u.get('server_groups', 0)}
