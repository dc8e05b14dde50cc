"""All identity queries: domains, projects, users, roles, assignments,
catalog, credentials, revocation events, login failures.

Rows come back as plain dicts. Missing rows raise :class:`NotFound`,
unique-constraint clashes :class:`Duplicate` (``IdentityNotFound`` and
``IdentityConflict`` of :mod:`iaas.exception`).
"""
import datetime

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from iaas.db.base import utcnow
from iaas.db.engine import transaction
from iaas.db.identity_models import (
    CatalogService,
    Credential,
    Domain,
    Endpoint,
    LoginFailure,
    Project,
    Revision,
    RevocationEvent,
    Role,
    RoleAssignment,
    User,
)
from iaas.exception import IdentityConflict, IdentityNotFound

# The identity service's errors under the names its queries raise them by.
NotFound = IdentityNotFound
Duplicate = IdentityConflict


def _d(obj):
    return {c.key: getattr(obj, c.key) for c in sa.inspect(obj).mapper.column_attrs}


def _create(model, what, **values):
    try:
        with transaction() as s:
            obj = model(**values)
            s.add(obj)
            s.flush()
            return _d(obj)
    except sa_exc.IntegrityError:
        raise Duplicate(f'{what} already exists') from None


def _get(model, what, ident):
    with transaction() as s:
        obj = s.get(model, ident)
        if obj is None:
            raise NotFound(f'Could not find {what}: {ident}.')
        return _d(obj)


def _get_by(model, what, **filters):
    with transaction() as s:
        obj = s.scalars(sa.select(model).filter_by(**filters)).first()
        if obj is None:
            raise NotFound(f'Could not find {what}: {filters.get("name", filters)}.')
        return _d(obj)


def _list(model, order_by, limit=None, **filters):
    with transaction() as s:
        q = sa.select(model)
        for k, v in filters.items():
            if v is None:
                continue
            col = getattr(model, k)
            q = q.where(col.in_(v)) if isinstance(v, list | tuple | set) else q.where(col == v)
        q = q.order_by(order_by)
        if limit is not None:
            q = q.limit(limit)
        return [_d(o) for o in s.scalars(q)]


def _update(model, what, ident, allowed, values, bump=False):
    bad = set(values) - set(allowed)
    if bad:
        raise ValueError(f'cannot update {sorted(bad)} of a {what}')
    try:
        with transaction() as s:
            obj = s.get(model, ident)
            if obj is None:
                raise NotFound(f'Could not find {what}: {ident}.')
            for k, v in values.items():
                setattr(obj, k, v)
            s.flush()
            if bump:
                _bump(s)
            return _d(obj)
    except sa_exc.IntegrityError:
        raise Duplicate(f'{what} with that name already exists') from None


def _delete(model, what, ident, bump=False, before=None):
    """Delete a row (and, first, in the same transaction, what ``before(s)``
    deletes with it)."""
    with transaction() as s:
        obj = s.get(model, ident)
        if obj is None:
            raise NotFound(f'Could not find {what}: {ident}.')
        if before is not None:
            before(s)
        s.delete(obj)
        if bump:
            s.flush()
            _bump(s)


# --- the revision: moved by every change that can revoke access -------------

REVISION_ID = 1


def _bump(s):
    """Move the shared revision in session ``s`` (the change's transaction),
    so every API process drops its identity caches (iaas.identity.revision)."""
    n = s.execute(sa.update(Revision).where(Revision.id == REVISION_ID).values(
        value=Revision.value + 1)).rowcount
    if not n:
        s.add(Revision(id=REVISION_ID, value=1))


def revision_get():
    """The current revision (one primary-key lookup)."""
    with transaction() as s:
        return s.scalar(sa.select(Revision.value).where(Revision.id == REVISION_ID)) or 0


# --- domains -------------------------------------------------------------

def domain_create(name, id=None, description=None, enabled=True):
    kw = {'id': id} if id else {}
    return _create(Domain, f'domain {name}', name=name, description=description,
                   enabled=enabled, **kw)


def domain_get(domain_id):
    return _get(Domain, 'domain', domain_id)


def domain_get_by_name(name):
    return _get_by(Domain, 'domain', name=name)


def domain_list(name=None, enabled=None, limit=None):
    return _list(Domain, Domain.name, limit, name=name, enabled=enabled)


def domain_update(domain_id, **values):
    return _update(Domain, 'domain', domain_id, {'name', 'description', 'enabled'}, values,
                   bump=True)


def domain_delete(domain_id):
    with transaction() as s:
        used = s.scalar(sa.select(sa.func.count()).select_from(Project).filter_by(
            domain_id=domain_id)) or s.scalar(sa.select(sa.func.count()).select_from(
                User).filter_by(domain_id=domain_id))
        if used:
            raise Duplicate('domain still holds projects or users')
    _delete(Domain, 'domain', domain_id, bump=True)


# --- projects ------------------------------------------------------------

def project_create(name, domain_id, description=None, enabled=True, id=None):
    kw = {'id': id} if id else {}
    return _create(Project, f'project {name}', name=name, domain_id=domain_id,
                   description=description, enabled=enabled, **kw)


def project_get(project_id):
    return _get(Project, 'project', project_id)


def project_get_by_name(name, domain_id):
    return _get_by(Project, 'project', name=name, domain_id=domain_id)


def project_list(domain_id=None, name=None, enabled=None, ids=None, limit=None):
    return _list(Project, Project.name, limit, domain_id=domain_id, name=name,
                 enabled=enabled, id=ids)


def project_update(project_id, **values):
    return _update(Project, 'project', project_id, {'name', 'description', 'enabled'},
                   values, bump=True)


def project_delete(project_id):
    """The project, its role assignments and the EC2 credentials naming it
    (they could not be used any more), in one transaction."""
    def before(s):
        s.execute(sa.delete(RoleAssignment).filter_by(target_type='project',
                                                      target_id=project_id))
        s.execute(sa.delete(Credential).filter_by(project_id=project_id))
    _delete(Project, 'project', project_id, bump=True, before=before)


# --- users ---------------------------------------------------------------

USER_FIELDS = {'name', 'password_hash', 'password_changed_at', 'email', 'description',
               'default_project_id', 'enabled'}


def user_create(name, domain_id, password_hash=None, **values):
    bad = set(values) - USER_FIELDS
    if bad:
        raise ValueError(f'unknown user fields {sorted(bad)}')
    if password_hash:
        values['password_changed_at'] = utcnow()
    return _create(User, f'user {name}', name=name, domain_id=domain_id,
                   password_hash=password_hash, **values)


def user_get(user_id):
    return _get(User, 'user', user_id)


def user_get_by_name(name, domain_id):
    return _get_by(User, 'user', name=name, domain_id=domain_id)


def user_name_taken(name, domain_id):
    """Whether a user of the domain has this name, whatever its case."""
    return _name_taken(User, name, domain_id)


def project_name_taken(name, domain_id):
    """Whether a project of the domain has this name, whatever its case."""
    return _name_taken(Project, name, domain_id)


def _name_taken(model, name, domain_id):
    with transaction() as s:
        return s.scalar(sa.select(model.id).where(
            model.domain_id == domain_id,
            sa.func.lower(model.name) == name.lower()).limit(1)) is not None


def user_list(domain_id=None, name=None, enabled=None, ids=None, limit=None):
    return _list(User, User.name, limit, domain_id=domain_id, name=name, enabled=enabled,
                 id=ids)


def user_update(user_id, **values):
    return _update(User, 'user', user_id, USER_FIELDS, values, bump=True)


def user_delete(user_id):
    """The user, its role assignments and its credentials, in one transaction."""
    def before(s):
        s.execute(sa.delete(RoleAssignment).filter_by(user_id=user_id))
        s.execute(sa.delete(Credential).filter_by(user_id=user_id))
    _delete(User, 'user', user_id, bump=True, before=before)


# --- roles and assignments -------------------------------------------------

def role_create(name, description=None, id=None):
    kw = {'id': id} if id else {}
    return _create(Role, f'role {name}', name=name, description=description, **kw)


def role_get(role_id):
    return _get(Role, 'role', role_id)


def role_get_by_name(name):
    return _get_by(Role, 'role', name=name)


def role_list(name=None, limit=None):
    return _list(Role, Role.name, limit, name=name)


def role_update(role_id, **values):
    return _update(Role, 'role', role_id, {'name', 'description'}, values, bump=True)


def role_delete(role_id):
    def before(s):
        s.execute(sa.delete(RoleAssignment).filter_by(role_id=role_id))
    _delete(Role, 'role', role_id, bump=True, before=before)


def assignment_add(user_id, target_type, target_id, role_id):
    with transaction() as s:
        exists = s.get(RoleAssignment, (user_id, target_type, target_id, role_id))
        if exists is None:
            s.add(RoleAssignment(user_id=user_id, target_type=target_type,
                                 target_id=target_id, role_id=role_id))


def assignment_remove(user_id, target_type, target_id, role_id):
    with transaction() as s:
        n = s.execute(sa.delete(RoleAssignment).filter_by(
            user_id=user_id, target_type=target_type, target_id=target_id,
            role_id=role_id)).rowcount
        if not n:
            raise NotFound('Could not find role assignment.')
        _bump(s)


def assignment_list(user_id=None, target_type=None, target_id=None, role_id=None,
                    limit=None):
    return _list(RoleAssignment, RoleAssignment.created_at, limit, user_id=user_id,
                 target_type=target_type, target_id=target_id, role_id=role_id)


def roles_for(user_id, target_type, target_id):
    """[{'id', 'name'}] of the roles ``user_id`` holds on the target."""
    with transaction() as s:
        rows = s.execute(sa.select(Role.id, Role.name).join(
            RoleAssignment, RoleAssignment.role_id == Role.id).where(
            RoleAssignment.user_id == user_id, RoleAssignment.target_type == target_type,
            RoleAssignment.target_id == target_id).order_by(Role.name))
        return [{'id': r.id, 'name': r.name} for r in rows]


def projects_of_user(user_id, limit=None):
    with transaction() as s:
        q = sa.select(Project).join(RoleAssignment, sa.and_(
            RoleAssignment.target_type == 'project',
            RoleAssignment.target_id == Project.id)).where(
            RoleAssignment.user_id == user_id).distinct().order_by(Project.name)
        if limit is not None:
            q = q.limit(limit)
        return [_d(p) for p in s.scalars(q)]


# --- catalog ---------------------------------------------------------------

def service_create(type, name, description=None, enabled=True, id=None):
    kw = {'id': id} if id else {}
    return _create(CatalogService, f'service {name}', type=type, name=name,
                   description=description, enabled=enabled, **kw)


def service_get(service_id):
    return _get(CatalogService, 'service', service_id)


def service_list(type=None, name=None, limit=None):
    return _list(CatalogService, CatalogService.type, limit, type=type, name=name)


def service_update(service_id, **values):
    return _update(CatalogService, 'service', service_id,
                   {'type', 'name', 'description', 'enabled'}, values)


def service_delete(service_id):
    with transaction() as s:
        s.execute(sa.delete(Endpoint).filter_by(service_id=service_id))
    _delete(CatalogService, 'service', service_id)


def endpoint_create(service_id, interface, url, region_id=None, enabled=True, id=None):
    service_get(service_id)
    kw = {'id': id} if id else {}
    return _create(Endpoint, 'endpoint', service_id=service_id, interface=interface,
                   url=url, region_id=region_id, enabled=enabled, **kw)


def endpoint_get(endpoint_id):
    return _get(Endpoint, 'endpoint', endpoint_id)


def endpoint_list(service_id=None, interface=None, region_id=None, limit=None):
    return _list(Endpoint, Endpoint.service_id, limit, service_id=service_id,
                 interface=interface, region_id=region_id)


def endpoint_update(endpoint_id, **values):
    return _update(Endpoint, 'endpoint', endpoint_id,
                   {'service_id', 'interface', 'url', 'region_id', 'enabled'}, values)


def endpoint_delete(endpoint_id):
    _delete(Endpoint, 'endpoint', endpoint_id)


def catalog():
    """Enabled services with their enabled endpoints, one query each."""
    with transaction() as s:
        services = [_d(x) for x in s.scalars(sa.select(CatalogService).filter_by(
            enabled=True).order_by(CatalogService.type, CatalogService.name))]
        eps = [_d(x) for x in s.scalars(sa.select(Endpoint).filter_by(
            enabled=True).order_by(Endpoint.interface))]
    for svc in services:
        svc['endpoints'] = [e for e in eps if e['service_id'] == svc['id']]
    return services


# --- credentials -------------------------------------------------------------

def credential_create(user_id, type, encrypted_blob, project_id=None, access=None,
                      id=None):
    kw = {'id': id} if id else {}
    return _create(Credential, 'credential', user_id=user_id, type=type,
                   encrypted_blob=encrypted_blob, project_id=project_id, access=access,
                   **kw)


def credential_get(credential_id):
    return _get(Credential, 'credential', credential_id)


def credential_get_by_access(access):
    return _get_by(Credential, 'credential', access=access)


def credential_list(user_id=None, type=None, limit=None):
    return _list(Credential, Credential.created_at, limit, user_id=user_id, type=type)


def credential_update(credential_id, **values):
    return _update(Credential, 'credential', credential_id,
                   {'encrypted_blob', 'project_id', 'type', 'access'}, values, bump=True)


def credential_delete(credential_id):
    _delete(Credential, 'credential', credential_id, bump=True)


# --- revocation events ---------------------------------------------------------

def revocation_add(issued_before, expires_at, audit_id=None, user_id=None,
                   project_id=None):
    with transaction() as s:
        ev = RevocationEvent(audit_id=audit_id, user_id=user_id, project_id=project_id,
                             issued_before=issued_before, expires_at=expires_at)
        s.add(ev)
        s.flush()
        _bump(s)
        return _d(ev)


def revocation_list(now=None):
    """Events that can still match a valid token; expired ones are pruned."""
    now = now or utcnow()
    with transaction() as s:
        s.execute(sa.delete(RevocationEvent).where(RevocationEvent.expires_at < now))
        return [_d(e) for e in s.scalars(sa.select(RevocationEvent).order_by(
            RevocationEvent.id))]


# --- failed logins -----------------------------------------------------------

def login_failure_add(user_id):
    with transaction() as s:
        s.add(LoginFailure(user_id=user_id))


def login_failure_count(user_id, window_seconds):
    since = utcnow() - datetime.timedelta(seconds=window_seconds)
    with transaction() as s:
        s.execute(sa.delete(LoginFailure).where(LoginFailure.user_id == user_id,
                                                LoginFailure.at < since))
        return s.scalar(sa.select(sa.func.count()).select_from(LoginFailure).where(
            LoginFailure.user_id == user_id, LoginFailure.at >= since))


def login_failure_oldest(user_id):
    with transaction() as s:
        return s.scalar(sa.select(sa.func.min(LoginFailure.at)).where(
            LoginFailure.user_id == user_id))


def login_failure_clear(user_id):
    with transaction() as s:
        s.execute(sa.delete(LoginFailure).where(LoginFailure.user_id == user_id))
