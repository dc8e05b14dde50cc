"""Instance-hours per project over a period (os-simple-tenant-usage; feeds
billing)."""
from iaas.db import instances as db
from iaas.db.base import utcnow

now = utcnow


def projects_in_period(start, end):
    """Projects with an instance alive at some time in [start, end]."""
    return {i['project_id'] for i in db.usage_in_period(db.ALL_PROJECTS, start, end)}


def instance_usage(project_id, start, end):
    """[(instance, hours, disk GB)] of project ``project_id``'s instances alive
    in [start, end], hours counted within the period."""
    out = []
    for inst in db.usage_in_period(project_id, start, end):
        began = max(inst['launched_at'] or inst['created_at'], start)
        stopped = min(inst['terminated_at'] or end, end)
        out.append((inst, db.hours_between(began, stopped),
                    (inst['root_gb'] or 0) + (inst['ephemeral_gb'] or 0)))
    return out
