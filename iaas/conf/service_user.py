"""[service_user] options: the account daemons use to call other services' APIs."""
from oslo_config import cfg

service_user_group = cfg.OptGroup(
    'service_user', title='Service credentials',
    help='Credentials iaas-compute and other workers use to call the REST APIs of '
         'other services (upload a snapshot to the image service, fetch an image). '
         'The account needs the admin role.')

service_user_opts = [
    cfg.StrOpt('auth_url',
               help='Identity v3 URL. Unset: http://[api]public_host:[api]identity_port/v3.'),
    cfg.StrOpt('username', default='admin', help='User name.'),
    cfg.StrOpt('password', secret=True,
               help='Password. Unset: [identity] admin_password, else the password '
                    'iaas-all generated in $state_path/admin-password.'),
    cfg.StrOpt('project_name', default='admin', help='Project to scope the token to.'),
    cfg.StrOpt('user_domain_name', default='Default', help="The user's domain."),
    cfg.StrOpt('project_domain_name', default='Default', help="The project's domain."),
    cfg.StrOpt('region_name', default='RegionOne', help='Region of the endpoints to use.'),
    cfg.StrOpt('interface', default='internal', choices=['public', 'internal', 'admin'],
               help='Endpoint interface to use from the catalog.'),
]


def register_opts(conf):
    conf.register_group(service_user_group)
    conf.register_opts(service_user_opts, group=service_user_group)


def list_opts():
    return {service_user_group: service_user_opts}
