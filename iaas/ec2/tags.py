"""EC2 tags of a project's resources (:mod:`iaas.db.ec2_tags`); the EC2
API checks the caller may change a resource before it tags it."""
from iaas.db import ec2_tags

MAX_PER_RESOURCE = 50

tags_of = ec2_tags.tags_of
project_tags = ec2_tags.project_tags
delete_tags = ec2_tags.delete_tags
forget = ec2_tags.forget


def set_tags(project_id, kind, uuids, tags):
    """False when a resource would end with more than 50 tags (nothing set)."""
    return ec2_tags.set_tags(project_id, kind, uuids, tags, MAX_PER_RESOURCE)
