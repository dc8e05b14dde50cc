"""[ec2] options: the EC2 Query API of iaas-api (port: [api] ec2_port)."""
from oslo_config import cfg

ec2_group = cfg.OptGroup(
    'ec2', title='EC2 Query API options',
    help='The EC2 Query API (Action=…&Version=2016-11-15) that boto3, the AWS CLI '
         'and other AWS tools call with the EC2 credentials of the identity '
         'service (openstack ec2 credentials create).')

ec2_opts = [
    cfg.StrOpt('region', default='RegionOne',
               help='Region name this API answers for (DescribeRegions) and accepts in '
                    'Signature V4 credential scopes; requests signed for "us-east-1" '
                    '(the AWS tools\' default) are accepted too.'),
    cfg.IntOpt('max_params', default=1000, min=10,
               help='Most query parameters one request may carry; more is '
                    'InvalidParameterValue before any work.'),
    cfg.IntOpt('max_results', default=1000, min=5,
               help='Most items one Describe call answers (MaxResults may ask for '
                    'fewer; NextToken continues).'),
    cfg.IntOpt('terminated_visible', default=3600, min=0,
               help='Seconds a terminated instance stays visible to '
                    'DescribeInstances (EC2 keeps them for about an hour).'),
    cfg.IntOpt('modify_timeout', default=60, min=1,
               help='Seconds ModifyInstanceAttribute waits for the instance type '
                    'change of a stopped instance (a resize on its host, confirmed '
                    'at once) before it answers; a change still running then '
                    'completes anyway and StartInstances confirms it.'),
]


def register_opts(conf):
    conf.register_group(ec2_group)
    conf.register_opts(ec2_opts, group=ec2_group)


def list_opts():
    return {ec2_group: ec2_opts}
