"""Live migration of libvirt guests (mixed into :class:`.driver.LibvirtDriver`).

The source's libvirtd sends the running guest straight to the destination's
(peer to peer, ``migrateToURI3``) with

    VIR_MIGRATE_LIVE | PEER2PEER | PERSIST_DEST | UNDEFINE_SOURCE
    (+ NON_SHARED_INC for a block migration)

A block migration (the default: hosts share no instances path) copies the
guest's own disk while it runs; the destination has made an empty qcow2 of
the same size over the same base image (fetched into its own image cache)
beforehand, so only the guest's writes travel (NON_SHARED_INC, as Nova). The
config drive is made again on the destination; volumes are reached by both
hosts and not copied (only the local disk is in ``migrate_disks``).

The XML the destination starts from is the source's, with the paths under
the source's instances path moved under the destination's, the backing
chain left for libvirt to read from the new disk, and the serial port the
destination chose (``[serial_console]``). The move is bounded by ``[libvirt]
live_migration_timeout``: then the job is aborted and the guest keeps
running on the source. Figures (seconds, MiB sent, the downtime libvirt
measured) are logged.

The destination's libvirtd must accept the source's (``live_migration_uri``,
e.g. ``qemu+tcp://ADDR/system``), have a ``host_uuid`` of its own, and a
``migration_address`` the source reaches; see
docs/operators/live-migration.md.
"""
import contextlib
import logging
import os
import shutil
import threading
import time
import xml.etree.ElementTree as ET

import libvirt

from iaas.compute.virt import driver
from iaas.compute.virt.libvirt import configdrive, imagecache
from iaas.conf import CONF

LOG = logging.getLogger(__name__)

BASE_FLAGS = (libvirt.VIR_MIGRATE_LIVE | libvirt.VIR_MIGRATE_PEER2PEER |
              libvirt.VIR_MIGRATE_PERSIST_DEST | libvirt.VIR_MIGRATE_UNDEFINE_SOURCE)
POLL = 0.5          # seconds between two looks at the migration job


def migration_flags(block_migration):
    """The ``migrateToURI3`` flags of a live migration."""
    flags = BASE_FLAGS
    if block_migration:
        flags |= libvirt.VIR_MIGRATE_NON_SHARED_INC
    return flags


def migration_uri(template=None, addr=None, host=None):
    """This host's URI for incoming migrations: ``[libvirt]
    live_migration_uri`` with ``%s`` → ``live_migration_inbound_addr`` (else
    the host name)."""
    template = template or CONF.libvirt.live_migration_uri
    addr = addr or CONF.libvirt.live_migration_inbound_addr or host or CONF.host
    return template % addr if '%s' in template else template


def _moved(path, src, dst):
    if path and (path == src or path.startswith(src.rstrip('/') + '/')):
        return dst.rstrip('/') + path[len(src.rstrip('/')):]
    return path


def rewrite_xml(xml, src_path, dst_path, serial_tcp=None):
    """The domain XML for the destination: files under ``src_path`` (the
    source's instances path) moved under ``dst_path``, disks' backing chains
    dropped (libvirt reads them from the new disk), and the TCP serial port
    bound at ``serial_tcp`` (host, port) when given."""
    root = ET.fromstring(xml)
    devices = root.find('devices')
    if devices is None:
        return xml
    for el in devices.iter():
        if el.get('file'):
            el.set('file', _moved(el.get('file'), src_path, dst_path))
        if el.get('path') and el.tag in ('source', 'log'):
            el.set('path', _moved(el.get('path'), src_path, dst_path))
    for disk in devices.findall('disk'):
        for chain in disk.findall('backingStore'):
            disk.remove(chain)
    if serial_tcp:
        for el in devices.findall('serial') + devices.findall('console'):
            src = el.find('source')
            if el.get('type') == 'tcp' and src is not None:
                src.set('host', serial_tcp[0])
                src.set('service', str(serial_tcp[1]))
    return ET.tostring(root, encoding='unicode')


def local_disks(xml, instance_dir):
    """Target names of the writable file disks under ``instance_dir`` (the
    disks a block migration copies; never the config drive or a volume)."""
    out = []
    prefix = instance_dir.rstrip('/') + '/'
    for disk in ET.fromstring(xml).findall('devices/disk'):
        src = disk.find('source')
        path = src.get('file') if src is not None else None
        if disk.get('device', 'disk') != 'disk' or disk.find('readonly') is not None or \
                not path or not path.startswith(prefix):
            continue
        out.append(disk.find('target').get('dev'))
    return out


def _stats(dom):
    with contextlib.suppress(libvirt.libvirtError):
        return dom.jobStats()
    return {}


class LiveMigrationMixin:
    """Needs ``conn``, ``cache``, ``instances_path``, ``serial_ports``,
    ``_paths``, ``_dir``, ``_dom``, ``_lookup``, ``_undefine``,
    ``_all_domain_xmls``, ``list_instances`` and ``destroy`` of the driver."""

    # -- source ---------------------------------------------------------------------
    def live_migration_source_info(self, instance):
        p = self._paths(instance['uuid'])
        info = {'config_drive': os.path.exists(p['config']), 'image_id': None,
                'virtual_size': None}
        if os.path.exists(p['disk']):
            with contextlib.suppress(FileNotFoundError):
                with open(p['image']) as f:
                    info['image_id'] = f.read().strip()
            info['virtual_size'] = imagecache.qemu_img_info(
                p['disk'], 'qcow2', force_share=True).get('virtual-size')
        return info

    def live_migration(self, context, instance, dest, migrate_data):
        uuid = instance['uuid']
        block = bool(migrate_data.get('block_migration'))
        src_dir = self._dir(uuid)

        def xmls(dom):
            return (dom.XMLDesc(libvirt.VIR_DOMAIN_XML_MIGRATABLE),
                    dom.XMLDesc(libvirt.VIR_DOMAIN_XML_MIGRATABLE |
                                libvirt.VIR_DOMAIN_XML_INACTIVE))
        live, persistent = self._dom(uuid, xmls)
        serial_tcp = migrate_data.get('serial')
        dst_path = migrate_data.get('instances_path') or self.instances_path
        params = {
            libvirt.VIR_MIGRATE_PARAM_DEST_XML: rewrite_xml(live, self.instances_path,
                                                            dst_path, serial_tcp),
            libvirt.VIR_MIGRATE_PARAM_PERSIST_XML: rewrite_xml(
                persistent, self.instances_path, dst_path, serial_tcp)}
        if block:
            disks = local_disks(live, src_dir)
            if disks:
                params[libvirt.VIR_MIGRATE_PARAM_MIGRATE_DISKS] = disks
        flags = migration_flags(block)
        return self._run_migration(uuid, migrate_data['uri'], params, flags, dest)

    def _run_migration(self, uuid, uri, params, flags, dest):
        """migrateToURI3 in a thread, watched: progress logged, aborted after
        ``[libvirt] live_migration_timeout``. DriverError on failure."""
        dom = self.conn.call(lambda c: self._lookup(c, uuid))
        outcome = {}

        def run():
            try:
                dom.migrateToURI3(uri, params, flags)
            except libvirt.libvirtError as exc:
                outcome['error'] = exc
        t0 = time.monotonic()
        worker = threading.Thread(target=run, name=f'live-migration-{uuid[:8]}', daemon=True)
        worker.start()
        timeout = CONF.libvirt.live_migration_timeout
        aborted = False
        last_log = t0
        stats = {}
        while worker.is_alive():
            worker.join(POLL)
            now = time.monotonic()
            if worker.is_alive():
                stats = _stats(dom) or stats
            if not aborted and now - t0 > timeout and worker.is_alive():
                LOG.warning('live migration of %s to %s: over %ss; aborting', uuid, dest,
                            timeout)
                aborted = True
                with contextlib.suppress(libvirt.libvirtError):
                    dom.abortJob()
            if now - last_log >= 5 and stats:
                last_log = now
                LOG.info('live migration of %s: %d of %d MiB memory, %d MiB disk sent',
                         uuid, stats.get('memory_processed', 0) >> 20,
                         stats.get('memory_total', 0) >> 20,
                         stats.get('disk_processed', 0) >> 20)
        total = time.monotonic() - t0
        if 'error' in outcome:
            why = f'aborted after {timeout}s' if aborted else 'failed'
            raise driver.DriverError(f'live migration of {uuid} to {dest} {why}: '
                                     f'{outcome["error"]}')
        return {'total_s': round(total, 2),
                'memory_mib': stats.get('memory_processed', 0) >> 20,
                'disk_mib': stats.get('disk_processed', 0) >> 20}

    def post_live_migration(self, context, instance, migrate_data):
        """The guest left: its secrets, serial port and (block migration) its
        directory go; the domain was undefined by the migration."""
        self.destroy(context, instance,
                     destroy_disks=bool(migrate_data.get('block_migration')))

    # -- destination ----------------------------------------------------------------
    def pre_live_migration(self, context, instance, block_migration, network_info,
                           disk_info):
        uuid = instance['uuid']
        p = self._paths(uuid)
        created = not os.path.exists(p['dir'])
        os.makedirs(p['dir'], exist_ok=True)
        os.chmod(p['dir'], 0o755)
        try:
            if block_migration and disk_info.get('image_id') and \
                    not os.path.exists(p['disk']):
                base, fmt = self.cache.ensure(disk_info['image_id'])
                with open(p['image'], 'w') as f:
                    f.write(disk_info['image_id'])
                size = int(disk_info.get('virtual_size') or 0)
                imagecache.qemu_img('create', '-f', 'qcow2', '-b', base, '-F', fmt,
                                    p['disk'], *([str(size)] if size else []))
            if disk_info.get('config_drive'):
                configdrive.make_drive(p['config'], instance, network_info)
            serial_tcp = None
            if CONF.serial_console.enabled:
                serial_tcp = list(self.serial_ports.endpoint(uuid, None,
                                                             self._all_domain_xmls))
        except Exception:
            if created and block_migration:
                shutil.rmtree(p['dir'], ignore_errors=True)
            self.serial_ports.release(uuid)
            raise
        return {'uri': migration_uri(host=self.host), 'instances_path': self.instances_path,
                'serial': serial_tcp, 'created_dir': created}

    def post_live_migration_at_destination(self, context, instance, migrate_data):
        uuid = instance['uuid']
        with contextlib.suppress(libvirt.libvirtError, driver.InstanceNotFoundInDriver):
            done = self._dom(uuid, lambda d: d.jobStats(
                libvirt.VIR_DOMAIN_JOB_STATS_COMPLETED |
                libvirt.VIR_DOMAIN_JOB_STATS_KEEP_COMPLETED))
            LOG.info('guest %s arrived: downtime %s ms, %s ms in all', uuid,
                     done.get('downtime'), done.get('time_elapsed'))

    def rollback_live_migration_at_destination(self, context, instance, migrate_data):
        uuid = instance['uuid']
        try:
            running = self._dom(uuid, lambda d: d.isActive())
        except driver.InstanceNotFoundInDriver:
            running = False
        if running:
            LOG.warning('guest %s runs here after a failed live migration; kept', uuid)
            return
        self._undefine(uuid)
        self.serial_ports.release(uuid)
        if migrate_data.get('created_dir') and migrate_data.get('block_migration'):
            shutil.rmtree(self._dir(uuid), ignore_errors=True)
