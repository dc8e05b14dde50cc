"""Bootstrap: the Default domain, roles, admin project/user and the catalog.

Idempotent: creates only what is missing (the admin password is set when
the admin user is created, or reset when ``reset_password`` is given), and
brings the catalog's endpoints in line with the configured ports.
"""
import logging

from iaas.db import identity as db
from iaas.identity import catalog, core, passwords, tokens

LOG = logging.getLogger(__name__)

DEFAULT_DOMAIN_ID = 'default'
ROLES = ('admin', 'member', 'reader')


def _get_or_create(getter, creator):
    try:
        return getter(), False
    except LookupError:
        return creator(), True


def bootstrap(admin_password, reset_password=False, admin_user='admin',
              admin_project='admin'):
    if not admin_password:
        raise ValueError('an admin password is required')
    domain, _ = _get_or_create(
        lambda: db.domain_get(DEFAULT_DOMAIN_ID),
        lambda: db.domain_create('Default', id=DEFAULT_DOMAIN_ID,
                                 description='The default domain'))
    roles = {}
    for name in ROLES:
        roles[name], _ = _get_or_create(lambda n=name: db.role_get_by_name(n),
                                        lambda n=name: db.role_create(n))
    project, _ = _get_or_create(
        lambda: db.project_get_by_name(admin_project, domain['id']),
        lambda: db.project_create(admin_project, domain['id'],
                                  description='Bootstrap project for the cloud admin'))
    user, created = _get_or_create(
        lambda: db.user_get_by_name(admin_user, domain['id']),
        lambda: db.user_create(admin_user, domain['id'],
                               passwords.hash_password(admin_password),
                               default_project_id=project['id']))
    if not created and reset_password:
        db.user_update(user['id'], password_hash=passwords.hash_password(admin_password))
    db.assignment_add(user['id'], 'project', project['id'], roles['admin']['id'])
    catalog.sync_from_config()
    core.invalidate(user_id=user['id'], project_id=project['id'])
    LOG.info('identity bootstrap done: domain %s, project %s, user %s',
             domain['id'], project['id'], user['id'])
    return {'domain': domain, 'project': project, 'user': user, 'roles': roles}


def first_start(admin_password):
    """iaas-all hook: bootstrap on every start (creates only what is missing)."""
    tokens.key_repository().setup()
    bootstrap(admin_password)


