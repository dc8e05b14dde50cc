"""Volume types: name, description, visibility, extra specs, project access,
encryption specs."""
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from iaas.db import volume_type_quotas
from iaas.db.base import utcnow
from iaas.db.engine import transaction
from iaas.db.utils import row_to_dict
from iaas.db.volume_models import Volume, VolumeType, VolumeTypeEncryption, VolumeTypeProject
from iaas.exception import InvalidVolume, VolumeConflict, VolumeNotFound, VolumeTypeNotFound


def _dict(s, row):
    d = row_to_dict(row)
    d['projects'] = list(s.scalars(sa.select(VolumeTypeProject.project_id).where(
        VolumeTypeProject.type_id == row.id)))
    return d


def _row(s, ident):
    """By UUID, else by name (Cinder accepts either)."""
    row = s.scalars(sa.select(VolumeType).where(VolumeType.uuid == ident,
                                                VolumeType.deleted == 0)).first()
    if row is None:
        row = s.scalars(sa.select(VolumeType).where(VolumeType.name == ident,
                                                    VolumeType.deleted == 0)).first()
    if row is None:
        raise VolumeTypeNotFound(ident)
    return row


def get(ident):
    with transaction() as s:
        return _dict(s, _row(s, ident))


def create(name, description=None, is_public=True, extra_specs=None, uuid=None):
    try:
        with transaction() as s:
            row = VolumeType(name=name, description=description, is_public=is_public,
                             extra_specs=dict(extra_specs or {}))
            if uuid:
                row.uuid = uuid
            s.add(row)
            s.flush()
            return _dict(s, row)
    except IntegrityError:
        raise VolumeConflict(f'Volume Type {name} already exists.') from None


def ensure(name, description=None):
    """The type called ``name``, created if missing (the default type)."""
    try:
        return get(name)
    except VolumeTypeNotFound:
        try:
            return create(name, description)
        except VolumeConflict:
            return get(name)


def update(ident, **values):
    """Change the type; a new name takes the type's quota keys along
    (``volumes_<old>`` → ``volumes_<new>``…) in the same transaction."""
    try:
        with transaction() as s:
            row = _row(s, ident)
            if values.get('name') is not None:
                volume_type_quotas.rename(s, row.name, values['name'])
            for k, v in values.items():
                setattr(row, k, v)
            s.flush()
            return _dict(s, row)
    except IntegrityError:
        raise VolumeConflict(f'Volume Type {values.get("name")} already exists.') from None


def set_extra_specs(ident, specs, replace=False):
    with transaction() as s:
        row = _row(s, ident)
        new = {} if replace else dict(row.extra_specs or {})
        new.update(specs)
        row.extra_specs = new
        s.flush()
        return dict(new)


def delete_extra_spec(ident, key):
    with transaction() as s:
        row = _row(s, ident)
        specs = dict(row.extra_specs or {})
        if key not in specs:
            raise VolumeTypeNotFound(f'{row.uuid} extra spec {key}')
        del specs[key]
        row.extra_specs = specs


def delete(ident):
    with transaction() as s:
        row = _row(s, ident)
        if s.scalar(sa.select(sa.func.count(Volume.id)).where(
                Volume.volume_type_id == row.uuid, Volume.deleted == 0)):
            raise InvalidVolume(f'Target volume type is still in use. Volume Type '
                                f'{row.uuid} deletion is not allowed with volumes present '
                                f'with the type.')
        row.deleted, row.deleted_at = row.id, utcnow()
        volume_type_quotas.drop(s, row.name)     # its per-type limits go with it
        enc = _encryption_row(s, row.uuid)
        if enc is not None:         # the spec goes with its type, as in Cinder
            enc.deleted, enc.deleted_at = enc.id, utcnow()


def list_(project_id=None, is_public=None, include_private=False):
    """Types a project may see: public ones, and private ones it was given
    access to (every type when ``include_private``: admins)."""
    with transaction() as s:
        q = sa.select(VolumeType).where(VolumeType.deleted == 0)
        if is_public is not None:
            q = q.where(VolumeType.is_public == is_public)
        rows = list(s.scalars(q.order_by(VolumeType.id)))
        out = []
        for row in rows:
            d = _dict(s, row)
            if row.is_public or include_private or project_id in d['projects']:
                out.append(d)
        return out


def add_access(ident, project_id):
    try:
        with transaction() as s:
            row = _row(s, ident)
            if row.is_public:
                raise InvalidVolume('Invalid volume type: Type access modification is not '
                                    'applicable to public volume type.')
            s.add(VolumeTypeProject(type_id=row.id, project_id=project_id))
    except IntegrityError:
        raise VolumeConflict(f'Volume type access for {ident} / {project_id} already '
                             f'exists.') from None


def remove_access(ident, project_id):
    with transaction() as s:
        row = _row(s, ident)
        if not s.execute(sa.delete(VolumeTypeProject).where(
                VolumeTypeProject.type_id == row.id,
                VolumeTypeProject.project_id == project_id)).rowcount:
            raise VolumeTypeNotFound(f'{row.uuid} access for {project_id}')


# -- encryption specs (Cinder's volume type encryption) --------------------------------
ENCRYPTION_FIELDS = ('provider', 'cipher', 'key_size', 'control_location')


class EncryptionNotFound(VolumeNotFound):
    def __init__(self, type_id):
        super().__init__(type_id, 'Volume type encryption for type')


def _encryption_row(s, type_uuid):
    return s.scalars(sa.select(VolumeTypeEncryption).where(
        VolumeTypeEncryption.volume_type_id == type_uuid,
        VolumeTypeEncryption.deleted == 0)).first()


def _in_use(s, type_uuid, doing):
    if s.scalar(sa.select(sa.func.count(Volume.id)).where(
            Volume.volume_type_id == type_uuid, Volume.deleted == 0)):
        raise InvalidVolume(f'Cannot {doing} encryption specs. Volume type in use.')


def get_encryption(ident):
    """The live encryption spec (a dict) of the type ``ident`` (by uuid or
    name), None when it has none; VolumeTypeNotFound for no such type."""
    with transaction() as s:
        row = _encryption_row(s, _row(s, ident).uuid)
        return row_to_dict(row) if row is not None else None


def encryption_of(type_uuid):
    """The live spec of the type with this uuid, or None (no type check)."""
    with transaction() as s:
        row = _encryption_row(s, type_uuid)
        return row_to_dict(row) if row is not None else None


def create_encryption(ident, values):
    """Cinder: refused (400) while volumes of the type exist or when the
    type already has a spec."""
    try:
        with transaction() as s:
            vtype = _row(s, ident)
            _in_use(s, vtype.uuid, 'create')
            if _encryption_row(s, vtype.uuid) is not None:
                raise InvalidVolume(f'Volume type encryption for type {vtype.uuid} '
                                    f'already exists.')
            row = VolumeTypeEncryption(volume_type_id=vtype.uuid, **{
                k: values.get(k) for k in ENCRYPTION_FIELDS if k in values})
            s.add(row)
            s.flush()
            return row_to_dict(row)
    except IntegrityError:          # a concurrent create won
        raise InvalidVolume(f'Volume type encryption for type {ident} already '
                            f'exists.') from None


def update_encryption(ident, values):
    with transaction() as s:
        vtype = _row(s, ident)
        _in_use(s, vtype.uuid, 'update')
        row = _encryption_row(s, vtype.uuid)
        if row is None:
            raise EncryptionNotFound(vtype.uuid)
        for k in ENCRYPTION_FIELDS:
            if k in values:
                setattr(row, k, values[k])
        s.flush()
        return row_to_dict(row)


def delete_encryption(ident):
    with transaction() as s:
        vtype = _row(s, ident)
        _in_use(s, vtype.uuid, 'delete')
        row = _encryption_row(s, vtype.uuid)
        if row is None:
            raise EncryptionNotFound(vtype.uuid)
        row.deleted, row.deleted_at = row.id, utcnow()
