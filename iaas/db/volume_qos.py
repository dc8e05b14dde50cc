"""Cinder's QoS specs: name, consumer, key/value specs; the volume types
associated with one name it in ``volume_types.qos_specs_id``."""
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from iaas.db.base import utcnow
from iaas.db.engine import transaction
from iaas.db.utils import row_to_dict
from iaas.db.volume_models import QosSpecs, VolumeType
from iaas.exception import InvalidVolume, QosSpecsNotFound, VolumeConflict, VolumeTypeNotFound


def _row(s, uuid):
    row = s.scalars(sa.select(QosSpecs).where(QosSpecs.uuid == uuid,
                                              QosSpecs.deleted == 0)).first()
    if row is None:
        raise QosSpecsNotFound(uuid)
    return row


def _type(s, type_id):
    row = s.scalars(sa.select(VolumeType).where(VolumeType.uuid == type_id,
                                                VolumeType.deleted == 0)).first()
    if row is None:
        raise VolumeTypeNotFound(type_id)
    return row


def _types(s, uuid):
    return list(s.scalars(sa.select(VolumeType).where(
        VolumeType.qos_specs_id == uuid, VolumeType.deleted == 0).order_by(VolumeType.id)))


def create(name, consumer, specs):
    try:
        with transaction() as s:
            row = QosSpecs(name=name, consumer=consumer, specs=dict(specs))
            s.add(row)
            s.flush()
            return row_to_dict(row)
    except IntegrityError:
        raise VolumeConflict(f'QoS Specs {name} already exists.') from None


def get(uuid):
    with transaction() as s:
        return row_to_dict(_row(s, uuid))


def list_():
    with transaction() as s:
        return [row_to_dict(r) for r in s.scalars(sa.select(QosSpecs).where(
            QosSpecs.deleted == 0).order_by(QosSpecs.id))]


def update(uuid, specs, consumer=None):
    """Set (add or replace) keys, and the consumer when given."""
    with transaction() as s:
        row = _row(s, uuid)
        row.specs = {**(row.specs or {}), **specs}
        if consumer is not None:
            row.consumer = consumer
        s.flush()
        return row_to_dict(row)


def delete_keys(uuid, keys):
    """Remove keys; QosSpecsNotFound (naming the key) when one is missing."""
    with transaction() as s:
        row = _row(s, uuid)
        specs = dict(row.specs or {})
        for key in keys:
            if key not in specs:
                raise QosSpecsNotFound(f'{uuid} key {key}')
            del specs[key]
        row.specs = specs


def delete(uuid, force=False):
    """Refused (400) while volume types are associated, unless ``force``
    (which disassociates them)."""
    with transaction() as s:
        row = _row(s, uuid)
        types = _types(s, uuid)
        if types and not force:
            raise InvalidVolume(f'QoS Specs {uuid} is still associated with entities.')
        for t in types:
            t.qos_specs_id = None
        row.deleted, row.deleted_at = row.id, utcnow()


def associations(uuid):
    with transaction() as s:
        _row(s, uuid)
        return [{'association_type': 'volume_type', 'name': t.name, 'id': t.uuid}
                for t in _types(s, uuid)]


def associate(uuid, type_id):
    with transaction() as s:
        _row(s, uuid)
        t = _type(s, type_id)
        if t.qos_specs_id and t.qos_specs_id != uuid:
            raise InvalidVolume(f'Type {type_id} is already associated with another qos '
                                f'specs: {t.qos_specs_id}')
        t.qos_specs_id = uuid


def disassociate(uuid, type_id):
    with transaction() as s:
        _row(s, uuid)
        t = _type(s, type_id)
        if t.qos_specs_id == uuid:
            t.qos_specs_id = None


def disassociate_all(uuid):
    with transaction() as s:
        _row(s, uuid)
        for t in _types(s, uuid):
            t.qos_specs_id = None


def of_type(s, type_id):
    """(consumer, specs) of the QoS specs associated with the volume type
    ``type_id`` (in the caller's session), or (None, None)."""
    if not type_id:
        return None, None
    row = s.execute(sa.select(QosSpecs.consumer, QosSpecs.specs).join(
        VolumeType, VolumeType.qos_specs_id == QosSpecs.uuid).where(
        VolumeType.uuid == type_id, QosSpecs.deleted == 0)).first()
    return (row[0], dict(row[1] or {})) if row is not None else (None, None)
