"""Flavors, their extra specs and project access."""
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from iaas.db.base import utcnow
from iaas.db.engine import transaction
from iaas.db.models import Flavor, FlavorProject
from iaas.db.utils import row_to_dict
from iaas.exception import FlavorAccessExists, FlavorExists, FlavorNotFound  # noqa: F401


def _to_dict(f):
    d = row_to_dict(f)
    d['extra_specs'] = dict(f.extra_specs or {})
    return d


def create(name, memory_mb, vcpus, root_gb=0, flavorid=None, ephemeral_gb=0, swap=0,
           rxtx_factor=1.0, is_public=True, description=None):
    import uuid
    try:
        with transaction() as s:
            f = Flavor(name=name, memory_mb=memory_mb, vcpus=vcpus, root_gb=root_gb,
                       flavorid=str(flavorid) if flavorid else str(uuid.uuid4()),
                       ephemeral_gb=ephemeral_gb, swap=swap, rxtx_factor=rxtx_factor,
                       is_public=is_public, description=description, extra_specs={})
            s.add(f)
            s.flush()
            return _to_dict(f)
    except IntegrityError:
        raise FlavorExists(f'Flavor with name {name} or ID {flavorid} already exists.') \
            from None


def _get(s, flavorid):
    f = s.scalars(sa.select(Flavor).filter_by(flavorid=str(flavorid), deleted=0)).first()
    if f is None:
        raise FlavorNotFound(f'Flavor {flavorid} could not be found.')
    return f


def _visible(s, project_id, include_private):
    """Every flavor, or (``include_private`` False) the public ones and those
    ``project_id`` was given access to (none for a None project). Who may
    see every flavor is the caller's policy decision."""
    q = sa.select(Flavor).filter_by(deleted=0)
    if not include_private:
        q = q.where(sa.or_(Flavor.is_public.is_(True), Flavor.id.in_(
            sa.select(FlavorProject.flavor_id).where(FlavorProject.project_id == project_id))))
    return q


# get() runs on every server create: prebuilt, run as Core
_GET_ANY = sa.select(Flavor.__table__).where(Flavor.flavorid == sa.bindparam('f'),
                                             Flavor.deleted == 0)
_GET_VISIBLE = _GET_ANY.where(sa.or_(Flavor.is_public.is_(True), Flavor.id.in_(
    sa.select(FlavorProject.flavor_id).where(FlavorProject.project_id == sa.bindparam('p')))))


def get(flavorid, project_id=None, include_private=True):
    """The flavor, if ``include_private`` or it is public or shared with
    ``project_id`` (see :func:`_visible`); FlavorNotFound."""
    with transaction() as s:
        row = s.connection().execute(_GET_ANY if include_private else _GET_VISIBLE,
                                     {'f': str(flavorid), 'p': project_id}).mappings().first()
    if row is None:
        raise FlavorNotFound(f'Flavor {flavorid} could not be found.')
    d = dict(row)
    d['extra_specs'] = dict(d['extra_specs'] or {})
    return d


def get_by_name(name, project_id=None, include_private=True):
    """The flavor called ``name`` (EC2's instance type), visible as for
    :func:`get`; FlavorNotFound."""
    with transaction() as s:
        found = s.scalars(_visible(s, project_id, include_private).where(
            Flavor.name == name).order_by(Flavor.id).limit(1)).all()
    if not found:
        raise FlavorNotFound(f'Flavor {name} could not be found.')
    return _to_dict(found[0])


def get_by_internal_id(flavor_id):
    with transaction() as s:
        f = s.get(Flavor, flavor_id)
        return _to_dict(f) if f else None


def list_(project_id=None, include_private=True, is_public=None, min_ram=None, min_disk=None,
          sort_key='flavorid', sort_dir='asc', limit=None, marker=None):
    with transaction() as s:
        q = _visible(s, project_id, include_private)
        if is_public is not None:
            q = q.where(Flavor.is_public.is_(is_public))
        if min_ram:
            q = q.where(Flavor.memory_mb >= min_ram)
        if min_disk:
            q = q.where(Flavor.root_gb >= min_disk)
        allowed = {'flavorid', 'name', 'memory_mb', 'vcpus', 'root_gb', 'id', 'created_at'}
        col = getattr(Flavor, sort_key if sort_key in allowed else 'flavorid')
        q = q.order_by(col.desc() if sort_dir == 'desc' else col.asc(), Flavor.id)
        rows = [_to_dict(f) for f in s.scalars(q)]
    if marker is not None:
        ids = [r['flavorid'] for r in rows]
        if marker not in ids:
            raise FlavorNotFound(f'marker [{marker}] not found')
        rows = rows[ids.index(marker) + 1:]
    return rows[:limit] if limit else rows


def delete(flavorid):
    with transaction() as s:
        f = _get(s, flavorid)
        f.deleted, f.deleted_at = f.id, utcnow()


def update(flavorid, **values):
    with transaction() as s:
        f = _get(s, flavorid)
        for k, v in values.items():
            setattr(f, k, v)
        s.flush()
        return _to_dict(f)


def set_extra_specs(flavorid, specs):
    with transaction() as s:
        f = _get(s, flavorid)
        f.extra_specs = {**(f.extra_specs or {}), **specs}
        return dict(f.extra_specs)


def delete_extra_spec(flavorid, key):
    with transaction() as s:
        f = _get(s, flavorid)
        specs = dict(f.extra_specs or {})
        if key not in specs:
            raise FlavorNotFound(f'Flavor {flavorid} has no extra spec {key}.')
        del specs[key]
        f.extra_specs = specs


def access_list(flavorid):
    with transaction() as s:
        f = _get(s, flavorid)
        return [p.project_id for p in s.scalars(sa.select(FlavorProject).filter_by(
            flavor_id=f.id))]


def access_add(flavorid, project_id):
    try:
        with transaction() as s:
            f = _get(s, flavorid)
            s.add(FlavorProject(flavor_id=f.id, project_id=project_id))
    except IntegrityError:
        raise FlavorAccessExists(f'Flavor access already exists for flavor {flavorid} '
                                 f'and project {project_id} combination.') from None
    return access_list(flavorid)


def access_remove(flavorid, project_id):
    with transaction() as s:
        f = _get(s, flavorid)
        n = s.execute(sa.delete(FlavorProject).where(
            FlavorProject.flavor_id == f.id, FlavorProject.project_id == project_id)).rowcount
        if not n:
            raise FlavorNotFound(f'Flavor access not found for {flavorid} / {project_id}.')
    return access_list(flavorid)
