"""Backup records out and back in: Cinder's ``export_record`` and
``import_record`` (admin only by default).

A backup here is chunk objects and a manifest in one container of the
object store, written by :mod:`iaas.volume.backup` -- the role of Cinder's
Swift backup driver. Records are exported in Cinder's shape, naming that
driver (:data:`SERVICE`, which is what Tempest and the Cinder tools expect
a record's ``backup_service`` to start with); an import accepts only
records of that driver (:data:`ACCEPTED`), whose data must be in this
cloud's backup container under ``[backup] object_prefix``.

``backup_url`` is base64 of a JSON object: the record's fields (``id``,
``size``, ``volume_id``, ``display_name``…) and ``service_metadata``, the
object prefix of the data (``<object_prefix>/<id of the backup that wrote
it>``). An import creates a backup of that id (Cinder keeps the id: it
links incremental backups) in the caller's project (another project only
with ``backup:backup-import:project``), status ``creating``; then the API
reads the manifest from the object store (with the ``[backup]`` and
``[service_user]`` options, as the volume hosts do) and the backup becomes
``available`` -- its object count and sizes from the manifest, not from the
record -- or ``error`` (no manifest, damaged, not that backup's data, larger
than the record's size, the object store failing), pointing at no data.

Two records may name the same data (export a backup, import it under a
new id): deleting one deletes the record only while another live record
names the data (``data_shared``, :mod:`iaas.db.volume_backups`).
"""
import base64
import binascii
import datetime
import json
import logging
import re
import uuid as uuidlib

from iaas.billing import enforcement as budget
from iaas.conf import CONF
from iaas.db import volume_backups as db_backups
from iaas.exception import BackupNotFound, InvalidVolume, VolumeError
from iaas.volume import api as volume_api
from iaas.volume import backup as backup_pkg
from iaas.volume import policies as P
from iaas.volume.backup import engine as engine_mod

LOG = logging.getLogger(__name__)
GiB = 1 << 30
SERVICE = 'cinder.backup.drivers.swift.SwiftBackupDriver'
ACCEPTED = (SERVICE, 'cinder.backup.drivers.swift')
MAX_URL = 64 * 1024             # characters of backup_url
MAX_STRING = 4096               # characters of any string in a record


def engine_factory():
    """The engine that reads manifests (tests replace it: an in-memory store)."""
    return backup_pkg.from_conf(CONF)


def _iso(value):
    return value.isoformat() if isinstance(value, datetime.datetime) else value


def export_record(ctx, uuid):
    """``{'backup_service', 'backup_url'}`` of an available backup."""
    b = volume_api.visible(ctx, db_backups.get, uuid, BackupNotFound, P.BACKUP_GET,
                           P.BACKUP_EXPORT)
    if b['status'] != 'available':
        raise InvalidVolume(f'Invalid backup: Backup status must be available and not '
                            f'{b["status"]}.')
    name = (b['manifest'] or {}).get('manifest')
    if not name:
        raise InvalidVolume('Invalid backup: the backup has no data in the object store.')
    record = {
        'id': b['uuid'], 'display_name': b['display_name'],
        'display_description': b['display_description'], 'size': b['size'],
        'volume_id': b['volume_id'], 'snapshot_id': b['snapshot_id'],
        'parent_id': b['parent_id'], 'is_incremental': bool(b['is_incremental']),
        'container': b['container'], 'object_count': b['object_count'],
        'service': SERVICE, 'service_metadata': name.rpartition('/')[0],
        'availability_zone': b['availability_zone'], 'project_id': b['project_id'],
        'user_id': b['user_id'], 'status': b['status'], 'metadata': b['metadata'] or {},
        'created_at': _iso(b['created_at']), 'data_timestamp': _iso(b['data_timestamp']),
    }
    url = base64.b64encode(json.dumps(record, sort_keys=True).encode()).decode('ascii')
    return {'backup_service': SERVICE, 'backup_url': url}


# -- import ---------------------------------------------------------------------------

def _bad(what):
    raise InvalidVolume(f'Invalid input received: {what}')


def _refuse_constant(name):
    raise ValueError(f'{name} is not JSON')


def decode(url):
    """The record in ``backup_url``: a JSON object of at most two levels
    whose strings are bounded (InvalidVolume otherwise)."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL:
        _bad(f'backup_url must be base64 text of at most {MAX_URL} characters.')
    try:
        raw = base64.b64decode(url.encode('ascii'), validate=True)
        record = json.loads(raw.decode('utf-8'), parse_constant=_refuse_constant)
    except (binascii.Error, ValueError, UnicodeError, RecursionError):
        _bad('backup_url is not base64 of a JSON backup record.')
    if not isinstance(record, dict):
        _bad('the backup record is not a JSON object.')
    for key, value in record.items():
        if len(key) > 255:
            _bad('a backup record key is longer than 255 characters.')
        inner = value.items() if isinstance(value, dict) else [(key, value)]
        for k, v in inner:
            if not isinstance(k, str) or len(k) > 255 or isinstance(v, (dict, list)):
                _bad(f'backup record field {key[:64]!r} is nested too deep.')
            if isinstance(v, str) and len(v) > MAX_STRING:
                _bad(f'backup record field {key[:64]!r} is too long.')
    return record


def _uuid(record, key, required=False):
    value = record.get(key)
    if value is None and not required:
        return None
    try:
        if isinstance(value, str) and str(uuidlib.UUID(value)) == value.lower():
            return value.lower()
    except ValueError:
        pass
    _bad(f'the backup record\'s {key} must be a UUID.')


def _text(record, *keys, limit=255):
    for key in keys:
        value = record.get(key)
        if value is None:
            continue
        if not isinstance(value, str) or len(value) > limit:
            _bad(f'the backup record\'s {key} must be a string of at most {limit} '
                 f'characters.')
        return value
    return None


def parse(record):
    """(uuid, the row's values, manifest name, id of the data's backup)."""
    uuid = _uuid(record, 'id', required=True)
    size = record.get('size')
    if isinstance(size, bool) or not isinstance(size, int) or \
            not 1 <= size <= CONF.volume.max_volume_size:
        _bad(f'the backup record\'s size must be an integer from 1 to '
             f'{CONF.volume.max_volume_size} (GiB).')
    container = record.get('container')
    if container is not None and container != CONF.backup.container:
        _bad(f'the backup record\'s container {str(container)[:64]!r} is not this '
             f'cloud\'s backup container.')
    prefix, data_id = CONF.backup.object_prefix, uuid
    meta = record.get('service_metadata')
    if meta is not None:
        m = re.fullmatch(re.escape(prefix) + r'/([0-9a-fA-F-]{36})', meta) \
            if isinstance(meta, str) else None
        if m is None:
            _bad(f'the backup record\'s service_metadata must be "{prefix}/<backup id>".')
        data_id = _uuid({'service_metadata': m.group(1)}, 'service_metadata')
    metadata = record.get('metadata') or {}
    if not isinstance(metadata, dict) or len(metadata) > CONF.volume.max_metadata_items or \
            not all(isinstance(v, str) and len(v) <= 255 for v in metadata.values()):
        _bad('the backup record\'s metadata must be an object of strings.')
    parent_id = _uuid(record, 'parent_id')
    values = {
        'volume_id': _uuid(record, 'volume_id') or db_backups.IMPORT_VOLUME_ID,
        'snapshot_id': _uuid(record, 'snapshot_id'), 'parent_id': parent_id,
        'is_incremental': parent_id is not None, 'size': size,
        'display_name': _text(record, 'display_name', 'name'),
        'display_description': _text(record, 'display_description', 'description'),
        'availability_zone': _text(record, 'availability_zone'),
        'container': CONF.backup.container, 'metadata_': dict(metadata),
    }
    return uuid, values, f'{prefix}/{data_id}/manifest', data_id


def _verify(uuid, values, manifest_name, data_id):
    """The backup, ``available`` if its manifest is in the object store and
    describes the data the record claims, else ``error`` without data."""
    problem, result = None, None
    try:
        result = engine_factory().describe(manifest_name)
    except engine_mod.BackupNotFound:
        problem = f'the manifest {manifest_name} is not in the object store'
    except engine_mod.BackupError as exc:
        problem = f'the data could not be verified: {str(exc)[:300]}'
    except Exception as exc:      # noqa: BLE001 - the record must not stay creating
        LOG.exception('verifying imported backup %s failed', uuid)
        problem = f'the data could not be verified: {type(exc).__name__}'
    if result is not None:
        if result.get('backup_id') != data_id:
            problem = f'the manifest {manifest_name} is not that backup\'s'
        elif result.get('size_bytes', 0) > values['size'] * GiB:
            problem = 'the data is larger than the record\'s size'
    try:
        if problem is None:
            return db_backups.swap(uuid, ('creating',), 'available', manifest=result,
                                   object_count=result['object_count'])
        return db_backups.swap(uuid, ('creating',), 'error', manifest=None,
                               fail_reason=f'import failed: {problem}')
    except VolumeError:           # reset or deleted meanwhile: as it is now
        return db_backups.get(uuid)


def import_record(ctx, backup_service, backup_url, project_id=None):
    """The backup made of the record (status ``available`` or ``error``)."""
    if backup_service not in ACCEPTED:
        _bad(f'backup_service {str(backup_service)[:100]!r} is not supported: this cloud '
             f'imports records of {SERVICE} (its object-store backups).')
    target = volume_api.own_project(ctx)
    others = volume_api.allowed(ctx, P.BACKUP_IMPORT_PROJECT, {'project_id': target})
    if project_id and project_id != target:
        volume_api.enforce(ctx, P.BACKUP_IMPORT_PROJECT, {'project_id': project_id})
        target = project_id
    budget.check(target, 'backups')
    uuid, values, manifest_name, data_id = parse(decode(backup_url))
    values.update(project_id=target, user_id=ctx.user_id)
    db_backups.import_(uuid, values, manifest_name, data_id, other_projects=others)
    return _verify(uuid, values, manifest_name, data_id)
