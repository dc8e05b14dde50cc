"""Domains, projects, users, roles and grants: the identity service's
records, and what must go with each change.

The REST layer (``iaas/api/identity/``) calls these, never the queries:
a write here is followed by what keeps tokens honest — revoking tokens of
a disabled project or user, or of a removed grant, dropping the user's
application credentials for a project it lost, and invalidating the
cached token records. Errors: :mod:`iaas.exception` ``IdentityNotFound``
(404), ``IdentityConflict`` (409), ``IdentityForbidden`` (403); a password
too short is a ``ValueError`` (400).
"""
from iaas.conf import CONF
from iaas.db import app_credentials as app_cred_db
from iaas.db import identity as db
from iaas.db.base import utcnow
from iaas.exception import IdentityConflict, IdentityForbidden, IdentityNotFound
from iaas.identity import app_credentials, core, passwords, revoke

# -- reads (plain queries) -------------------------------------------------------
domain_get = db.domain_get
domain_get_by_name = db.domain_get_by_name
domain_list = db.domain_list
project_get = db.project_get
project_list = db.project_list
projects_of_user = db.projects_of_user
user_get = db.user_get
user_list = db.user_list
role_get = db.role_get
role_list = db.role_list
assignment_list = db.assignment_list
roles_for = db.roles_for


# -- domains -----------------------------------------------------------------------
def domain_create(name, description=None, enabled=True):
    return db.domain_create(name, description=description, enabled=enabled)


def domain_update(domain_id, **values):
    row = db.domain_update(domain_id, **values)
    core.invalidate(domain_id=domain_id)
    return row


def domain_delete(domain_id):
    if db.domain_get(domain_id)['enabled']:
        raise IdentityForbidden('Cannot delete a domain that is enabled; disable it first.')
    db.domain_delete(domain_id)
    core.invalidate(domain_id=domain_id)


def domain_of(given, default):
    """``given`` if that domain exists (404 otherwise), else ``default``."""
    if given:
        db.domain_get(given)
        return given
    return default


# -- projects ----------------------------------------------------------------------
def project_create(name, domain_id, description=None, enabled=True):
    return db.project_create(name, domain_id, description=description, enabled=enabled)


def project_update(project_id, **values):
    row = db.project_update(project_id, **values)
    if values.get('enabled') is False:
        revoke.revoke_project(project_id)
    core.invalidate(project_id=project_id)
    return row


def project_delete(project_id):
    db.project_delete(project_id)
    revoke.revoke_project(project_id)
    core.invalidate(project_id=project_id)


# -- users -------------------------------------------------------------------------
def check_password_policy(password):
    if len(password) < CONF.identity.min_password_length:
        raise ValueError(f'The password must be at least '
                         f'{CONF.identity.min_password_length} characters long.')


def user_create(name, domain_id, password=None, **values):
    return db.user_create(name, domain_id,
                          passwords.hash_password(password) if password else None, **values)


def user_update(user_id, password=None, **values):
    """Update; a new password or disabling the user revokes its tokens."""
    if password:
        values.update(password_hash=passwords.hash_password(password),
                      password_changed_at=utcnow())
    row = db.user_update(user_id, **values)
    if password or values.get('enabled') is False:
        revoke.revoke_user(user_id)
    core.invalidate(user_id=user_id)
    return row


def user_delete(user_id):
    db.user_delete(user_id)
    revoke.revoke_user(user_id)
    core.invalidate(user_id=user_id)


def change_password(user_id, original, new, source):
    """A user changing its own password. Failures are counted per user and
    source (``passwords.RateLimited`` once too many); a wrong original is
    ``core.AuthFailed``; the user's tokens are revoked on success."""
    user = db.user_get(user_id)
    passwords.check_rate_limit(user_id, source)
    if not passwords.check_password(original, user['password_hash']):
        passwords.record_failure(user_id, source)
        raise core.AuthFailed()
    check_password_policy(new)
    db.user_update(user_id, password_hash=passwords.hash_password(new),
                   password_changed_at=utcnow())
    passwords.clear_failures(user_id, source)
    revoke.revoke_user(user_id)
    core.invalidate(user_id=user_id)


def sign_up(name, password, project_name, domain_name, email=None):
    """A user, its personal project in ``domain_name`` and the ``member``
    role there; (user, project). Names are compared without case: Admin
    beside admin would pass for one another. ``IdentityConflict`` if taken."""
    domain = db.domain_get_by_name(domain_name)
    if db.user_name_taken(name, domain['id']):
        raise IdentityConflict(f'The user name {name} is taken.')
    if db.project_name_taken(project_name, domain['id']):
        raise IdentityConflict(f'The project name {project_name} is taken.')
    member = db.role_get_by_name('member')
    project = db.project_create(project_name, domain['id'],
                                description=f'Personal project of {name}')
    try:
        user = db.user_create(name, domain['id'], passwords.hash_password(password),
                              email=email, default_project_id=project['id'])
    except IdentityConflict:   # taken between the check and the insert
        db.project_delete(project['id'])
        raise IdentityConflict(f'The user name {name} is taken.') from None
    db.assignment_add(user['id'], 'project', project['id'], member['id'])
    return user, project


# -- roles and grants ----------------------------------------------------------------
def role_create(name, description=None):
    return db.role_create(name, description)


def role_update(role_id, **values):
    row = db.role_update(role_id, **values)
    core.invalidate_roles()
    return row


def role_delete(role_id):
    db.role_delete(role_id)
    core.invalidate_roles()


def check_grant_target(target_type, target_id, user_id, role_id):
    """404 unless the project/domain, the user and the role all exist."""
    (db.project_get if target_type == 'project' else db.domain_get)(target_id)
    db.user_get(user_id)
    db.role_get(role_id)


def grant(user_id, target_type, target_id, role_id):
    check_grant_target(target_type, target_id, user_id, role_id)
    db.assignment_add(user_id, target_type, target_id, role_id)
    core.invalidate(user_id=user_id)


def check_grant(user_id, target_type, target_id, role_id):
    check_grant_target(target_type, target_id, user_id, role_id)
    if not db.assignment_list(user_id=user_id, target_type=target_type,
                              target_id=target_id, role_id=role_id):
        raise IdentityNotFound('Could not find role assignment.')


def revoke_grant(user_id, target_type, target_id, role_id):
    """Remove a grant; on a project, the user's tokens for it and (as in
    Keystone) its application credentials for it go too."""
    db.assignment_remove(user_id, target_type, target_id, role_id)
    if target_type == 'project':
        revoke.revoke_user_project(user_id, target_id)
        app_cred_db.delete_for(user_id, target_id)
    core.invalidate(user_id=user_id)


def has_project_role(user_id, project_id):
    """Whether the user holds any role on the (existing) project."""
    db.project_get(project_id)
    return bool(db.roles_for(user_id, 'project', project_id))


# -- application credentials ---------------------------------------------------------
app_credentials_of_user = app_cred_db.list_for_user


def app_credential_create(user_id, project_id, name, roles, secret=None, **values):
    """A new application credential with ``roles``; (record, secret). The
    secret is generated unless given; only its hash is kept."""
    secret = secret or app_credentials.new_secret()
    row = app_cred_db.create(user_id, project_id, name, app_credentials.hash_secret(secret),
                             roles, **values)
    return row, secret


def app_credential_of_user(user_id, app_cred_id):
    """The user's application credential, or None (another user's too)."""
    if '\x00' in app_cred_id:
        return None
    try:
        row = app_cred_db.get(app_cred_id)
    except IdentityNotFound:
        return None
    return row if row['user_id'] == user_id else None


def app_credential_delete(row):
    """Delete; the tokens it issued fail their next validation."""
    app_cred_db.delete(row['id'])
    core.invalidate(user_id=row['user_id'])
