"""iaas-manage commands of the identity service.

    iaas-manage bootstrap --admin-password PW [--reset-password]
    iaas-manage token rotate
    iaas-manage token setup
"""
from iaas.conf import CONF
from iaas.identity import bootstrap as bs
from iaas.identity import tokens


def bootstrap(args):
    """Create the Default domain, roles, admin project/user and the catalog."""
    tokens.key_repository().setup()
    out = bs.bootstrap(args.admin_password, reset_password=args.reset_password)
    print(f"bootstrap done: domain {out['domain']['id']}, project admin "
          f"{out['project']['id']}, user admin {out['user']['id']}, "
          f"region {CONF.identity.region}")


def token_rotate(_args):
    """Promote the staged Fernet key to primary and stage a new one."""
    primary = tokens.key_repository().rotate()
    print(f'fernet keys rotated in {CONF.identity.key_repository}: primary key {primary}')


def token_setup(_args):
    """Create the Fernet key repository if it is empty."""
    tokens.key_repository().setup()
    print(f'fernet keys in {CONF.identity.key_repository}')


MANAGE_COMMANDS = {
    'bootstrap': {None: (bootstrap, [
        (['--admin-password'], {'required': True, 'dest': 'admin_password'}),
        (['--reset-password'], {'action': 'store_true',
                                'help': 'set the admin password even if the user exists'}),
    ])},
    'token': {
        'rotate': (token_rotate, []),
        'setup': (token_setup, []),
    },
}
