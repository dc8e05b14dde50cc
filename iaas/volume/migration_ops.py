"""The volume host's side of an admin's volume migration (Cinder's
``os-migrate_volume``): the volume's data copied to another backend, here
or on another volume host, keeping its id. Mixed into
:class:`iaas.volume.manager.VolumeManager`.

The API swapped the volume to ``maintenance`` (``migration_status``
migrating, ``migration_host`` the target) and casts :meth:`migrate_volume`
to the volume's own host, which:

1. makes an empty volume of the same id and size on the target backend
   (this host's other backend, or the target host's through
   :meth:`migration_target_create`) and copies the raw bytes into it,
   chunk by chunk (all-zero chunks skipped: the new volume reads zeros);
   to another host each chunk is one :meth:`migration_target_write` call;
2. swaps ``maintenance`` → ``maintenance`` (the data is there:
   ``completing``), then → ``available`` with the target's
   ``provider_location``: the database moves the volume to the target
   (``success``) in that swap (:func:`iaas.db.volumes.swap`);
3. deletes its own copy.

A failure (copy, target host, a swap refused because an admin aborted it or
the reaper ended it) removes the target's copy and ends the migration with
a fault: ``available`` on the old host, migration_status ``error``. A host
that stops meanwhile leaves it to the reaper (the same end).
"""
import base64
import errno
import logging
import os

from iaas import rpc
from iaas.volume import rpcapi as volume_rpcapi
from iaas.volume import states

LOG = logging.getLogger(__name__)
CHUNK = 4 << 20
# a chunk crosses the bus base64-encoded in one call
REMOTE_CHUNK = 1 << 20


def _next_data(f, offset):
    """Where data starts at or after ``offset`` in ``f`` (a sparse file's
    holes skipped), ``offset`` itself when that cannot be told, None past
    the end of the data."""
    try:
        fd = f.fileno()
    except (AttributeError, OSError, ValueError):
        return offset
    try:
        return os.lseek(fd, offset, os.SEEK_DATA)
    except OSError as exc:
        return None if exc.errno == errno.ENXIO else offset


def _chunks(f, size, chunk):
    """(offset, bytes) of the non-zero chunks of ``f`` (``size`` bytes)."""
    offset = 0
    while offset < size:
        start = _next_data(f, offset)
        if start is None:
            return
        offset = start - start % chunk
        f.seek(offset)
        data = f.read(min(chunk, size - offset))
        if not data:
            return
        if data.count(0) != len(data):
            yield offset, data
        offset += len(data)


class MigrationOps:
    """Needs ``self.conductor``, ``self._driver``, ``self._plain``,
    ``self._swap``, ``self._run`` and ``self.host`` of the volume manager."""

    @property
    def _volume_rpc(self):
        api = getattr(self, '_migration_rpc', None)
        if api is None:
            api = self._migration_rpc = volume_rpcapi.VolumeAPI()
        return api

    # -- on the volume's own host --------------------------------------------------
    @rpc.expose
    def migrate_volume(self, context, volume_id, dest):
        self._run(self._migrate, context, volume_id, dest)

    def _migrate(self, context, volume_id, dest):
        try:
            volume = self.conductor.volume_get(context, volume_id)
        except Exception:
            LOG.exception('volume %s: cannot begin its migration', volume_id)
            return
        if volume['status'] != states.MAINTENANCE or volume.get('migration_host') != dest:
            return          # aborted (or reaped) before it began
        target = dict(self._plain(volume), host=dest, provider_location=None)
        local = volume_rpcapi.host_of(dest) == self.host
        try:
            target.update(self._copy(context, volume, target, local) or {})
        except Exception as exc:
            LOG.exception('volume %s: migration to %s failed', volume_id, dest)
            self._drop_target(context, target, local)
            self._swap(context, volume_id, states.MAINTENANCE, states.AVAILABLE,
                       fault=f'migration to {dest} failed: {str(exc)[:400]}')
            return
        done = self._swap(context, volume_id, states.MAINTENANCE, states.MAINTENANCE)
        if done is not None:
            done = self._swap(context, volume_id, states.MAINTENANCE, states.AVAILABLE,
                              provider_location=target.get('provider_location'))
        if done is None or done.get('host') != dest:
            LOG.info('volume %s: migration to %s ended meanwhile', volume_id, dest)
            self._drop_target(context, target, local)
            return
        try:
            self._driver(volume).delete_volume(self._plain(volume))
        except Exception:
            LOG.exception('volume %s: its copy on %s is left behind', volume_id,
                          volume['host'])

    def _copy(self, context, volume, target, local):
        """Make the target and copy the data; returns the target's update."""
        src = self._plain(volume)
        if local:
            dst_driver = self._driver(target)
            update = dst_driver.create_volume(target) or {}
            with self._driver(volume).open_volume(src, 'rb') as f, \
                    dst_driver.open_volume(dict(target, **update), 'r+b') as out:
                for offset, data in _chunks(f, volume['size'] << 30, CHUNK):
                    out.seek(offset)
                    out.write(data)
                out.flush()
            return update
        rpc_api, dest = self._volume_rpc, target['host']
        update = rpc_api.migration_target_create(context, dest, target) or {}
        target = dict(target, **update)
        with self._driver(volume).open_volume(src, 'rb') as f:
            for offset, data in _chunks(f, volume['size'] << 30, REMOTE_CHUNK):
                rpc_api.migration_target_write(context, dest, target, offset,
                                               base64.b64encode(data).decode())
        return update

    def _drop_target(self, context, target, local):
        try:
            if local:
                self._driver(target).delete_volume(target)
            else:
                self._volume_rpc.migration_target_delete(context, target['host'], target)
        except Exception:
            LOG.exception('volume %s: the copy on %s is left behind', target['id'],
                          target['host'])

    # -- on the target's host ------------------------------------------------------
    @rpc.expose
    def migration_target_create(self, context, volume):
        """An empty volume (``volume``: the plain dict, ``host`` one of this
        host's backends) to copy into; returns its driver's update."""
        return self._driver(volume).create_volume(volume) or {}

    @rpc.expose
    def migration_target_write(self, context, volume, offset, data):
        """Write ``data`` (base64) at ``offset`` of the target volume."""
        raw = base64.b64decode(data)
        if offset < 0 or offset + len(raw) > volume['size'] << 30:
            raise ValueError(f'write beyond volume {volume["id"]}')
        with self._driver(volume).open_volume(volume, 'r+b') as out:
            out.seek(offset)
            out.write(raw)
            out.flush()

    @rpc.expose
    def migration_target_delete(self, context, volume):
        """Remove a target the migration gave up."""
        self._driver(volume).delete_volume(volume)
