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
               help='Seconds an API process keeps user, project and role '
                    'lookups used for token validation. Changes made through '
                    'this process invalidate its cache at once; other '
                    'processes see them after at most this long.'),
    cfg.IntOpt('revocation_cache_time', default=2, min=0,
               help='Seconds an API process trusts its copy of the token '
                    'revocation list before reading it again (one query per '
                    'period, not per request). Revocations made through this '
                    'process apply at once.'),
    cfg.IntOpt('lockout_failure_attempts', default=5, min=0,
               help='Failed password attempts for one user within '
                    'lockout_duration after which further attempts are '
                    'refused with 429 until the window passes. 0 disables the '
                    'limit.'),
    cfg.IntOpt('lockout_duration', default=60, min=1,
               help='Window, in seconds, of lockout_failure_attempts.'),
    cfg.BoolOpt('allow_signup', default=True,
                help='Serve POST /v3/signup: anyone may create a user with a '
                     'personal project (member role, default quotas).'),
    cfg.StrOpt('signup_domain', default='Default',
               help='Name of the domain sign-up creates users and projects in.'),
    cfg.IntOpt('min_password_length', default=8, min=1,
               help='Shortest password sign-up and password changes accept.'),
    cfg.StrOpt('policy_file',
               help='Optional YAML/JSON file overriding the built-in policy '
                    'rules (oslo.policy format: "rule name": "check string").'),
]


def register_opts(conf):
    conf.register_group(identity_group)
    conf.register_opts(identity_opts, group=identity_group)


def list_opts():
    return {identity_group: identity_opts}
