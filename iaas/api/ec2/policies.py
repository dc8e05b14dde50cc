"""Policy rules of the EC2 API's own operations (oslo.policy defaults in
code). Most EC2 actions are checked with the rule of the same operation
in the OpenStack API (see :mod:`iaas.api.ec2.actions`); tags exist only in
the EC2 API."""
from iaas.policies import documented

MEMBER = 'rule:project_member'
READER = 'rule:project_reader'

TAGS_CREATE = 'ec2:tags:create'
TAGS_DELETE = 'ec2:tags:delete'
TAGS_DESCRIBE = 'ec2:tags:describe'

RULES = [
    documented(TAGS_CREATE, MEMBER, 'Tag resources of the project (CreateTags, '
               'TagSpecifications of create actions).', [('POST', '/?Action=CreateTags')]),
    documented(TAGS_DELETE, MEMBER, 'Remove tags (DeleteTags).',
               [('POST', '/?Action=DeleteTags')]),
    documented(TAGS_DESCRIBE, READER, 'List the project\'s tags (DescribeTags).',
               [('POST', '/?Action=DescribeTags')]),
]


def list_rules():
    return RULES
