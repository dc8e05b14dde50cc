"""[identity] options: tokens, passwords, sign-up, policy, catalog region."""
from oslo_config import cfg

identity_group = cfg.OptGroup('identity', title='Identity options',
                              help='The Keystone-v3-compatible identity service: '
                                   'tokens, password hashing, sign-up, policy.')

identity_opts = [
    cfg.StrOpt('region', default='RegionOne',
               help='Region name of every endpoint this cloud puts into its '
                    'service catalog. Clients select endpoints by it '
                    '(OS_REGION_NAME).'),
    cfg.StrOpt('admin_password', secret=True,
               help='Password of the "admin" user that bootstrap creates. '
                    'Unset: iaas-all generates one and keeps it in '
                    '$state_path/admin-password.'),
    cfg.IntOpt('token_expiration', default=3600 * 24, min=60,
               help='Lifetime of an issued token, in seconds. A token rescoped '
                    'with the token method keeps its original expiry.'),
    cfg.StrOpt('key_repository', default='$state_path/fernet-keys',
               help='Directory of the Fernet keys that sign and encrypt '
                    'tokens. Key 0 is staged, the highest number is primary '
                    '(signs new tokens), the others are secondary (still '
                    'validate). Every API host must hold the same keys; '
                    '"iaas-manage token rotate" rotates them.'),
    cfg.IntOpt('max_active_keys', default=3, min=2,
               help='Keys kept in the repository after a rotation (staged + '
                    'primary + secondaries). Tokens signed with a key that '
                    'rotated out no longer validate, so keep '
                    'max_active_keys * rotation interval above '
                    'token_expiration.'),
    cfg.StrOpt('credential_key_repository', default='$state_path/credential-keys',
               help='Directory of the Fernet key that encrypts EC2 credential '
                    'secrets at rest in the database.'),
    cfg.IntOpt('bcrypt_rounds', default=12, min=4, max=31,
               help='bcrypt cost of new password hashes (log2 of the work). '
                    'Each step doubles the CPU time of a password check and so '
                    'of POST /v3/auth/tokens with a password: 12 takes about '
                    '0.25 s on one core, 10 about 60 ms.'),
    cfg.IntOpt('cache_time', default=30, min=0,
               help='Seconds an API process keeps user, project, role and '
                    'EC2 credential lookups and validated tokens at most. '
                    'Every change that can revoke access (role removal, user '
                    'or project disabled or deleted, password change, token '
                    'revoked, credential deleted) moves the shared identity '
                    'revision, and every process drops these caches within '
                    'revocation_cache_time of it; this is only the upper bound '
                    'for changes made to the database by other means.'),
    cfg.IntOpt('revocation_cache_time', default=1, min=0,
               help='Seconds between an API process\'s checks of the shared '
                    'identity revision (one indexed query per period, not per '
                    'request). When it moved, the process reloads the '
                    'revocation list and drops its identity caches, so a '
                    'revocation made through any process applies in every '
                    'process within this many seconds (at once in the process '
                    'that made it).'),
    cfg.IntOpt('lockout_failure_attempts', default=5, min=0,
               help='Failed password attempts (logins and password changes) '
                    'for one user from one source address within '
                    'lockout_duration, after which further attempts of that '
                    'user from that address are refused with 429 until the '
                    'window passes. Other addresses are not affected, so '
                    'nobody can lock a user out. 0 disables the limit.'),
    cfg.IntOpt('lockout_source_attempts', default=30, min=0,
               help='Failed password attempts from one source address across '
                    'all users within lockout_duration, after which that '
                    'address gets 429 (one address cannot try many users). '
                    '0 disables the limit.'),
    cfg.IntOpt('lockout_duration', default=60, min=1,
               help='Window, in seconds, of lockout_failure_attempts and '
                    'lockout_source_attempts.'),
    cfg.BoolOpt('allow_signup', default=True,
                help='Serve POST /v3/signup: anyone may create a user with a '
                     'personal project (member role, default quotas).'),
    cfg.StrOpt('signup_domain', default='Default',
               help='Name of the domain sign-up creates users and projects in.'),
    cfg.IntOpt('signup_rate_limit', default=10, min=0,
               help='Sign-up attempts one source address may make within '
                    'signup_rate_window; more are refused with 429 and '
                    'Retry-After. 0 disables the limit.'),
    cfg.IntOpt('signup_rate_window', default=3600, min=1,
               help='Window, in seconds, of signup_rate_limit.'),
    cfg.IntOpt('min_password_length', default=8, min=1,
               help='Shortest password sign-up and password changes accept.'),
    cfg.ListOpt('catalog_services',
                default=['identity', 'compute', 'image', 'object-store', 'network',
                         'volumev3', 'block-storage', 'rating'],
                help='Service types this deployment serves, which bootstrap '
                     'registers in the service catalog (and removes from it '
                     'when no longer listed): identity, compute, image, '
                     'object-store, network, ec2, volumev3, block-storage, '
                     'rating. '
                     'List only services something serves.'),
    cfg.StrOpt('policy_file',
               help='Optional YAML/JSON file overriding the built-in policy '
                    'rules (oslo.policy format: "rule name": "check string").'),
]


def register_opts(conf):
    conf.register_group(identity_group)
    conf.register_opts(identity_opts, group=identity_group)


def list_opts():
    return {identity_group: identity_opts}
