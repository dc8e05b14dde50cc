"""The libvirt driver: real guests under QEMU (TCG) or KVM.

Per instance, ``$instances_path/<uuid>/`` holds ``disk`` (a qcow2 overlay
over the cached base image), ``disk.config`` (the config drive ISO),
``console.log`` (the serial console, written by virtlogd) and
``image_id``. The domain is persistent, named ``<domain_prefix><uuid>``,
with the instance uuid as its own uuid.

Volumes (``volume.py``) are disks of the domain marked by their alias; a
booted-from-volume guest has one at ``vda`` and no ``disk`` file. Whenever
the domain is defined again (hard reboot, resize), its volume disks are
carried over from the current definition.
"""
import contextlib
import json
import logging
import os
import re
import shutil
import tempfile
import threading
import time
import xml.etree.ElementTree as ET

import libvirt

from iaas import states
from iaas.compute.virt import driver
from iaas.compute.virt.libvirt import config, configdrive, imagecache, migration, serial, volume
from iaas.compute.virt.libvirt.connection import Connection
from iaas.conf import CONF
from iaas.privileged import CommandError, instances

LOG = logging.getLogger(__name__)

POWER = {libvirt.VIR_DOMAIN_NOSTATE: states.NOSTATE,
         libvirt.VIR_DOMAIN_RUNNING: states.RUNNING,
         libvirt.VIR_DOMAIN_BLOCKED: states.RUNNING,
         libvirt.VIR_DOMAIN_PAUSED: states.PAUSED_POWER,
         libvirt.VIR_DOMAIN_SHUTDOWN: states.RUNNING,   # shutting down: still running
         libvirt.VIR_DOMAIN_SHUTOFF: states.SHUTDOWN,
         libvirt.VIR_DOMAIN_CRASHED: states.CRASHED,
         libvirt.VIR_DOMAIN_PMSUSPENDED: states.SUSPENDED_POWER}
SNAPSHOT_CHUNK = 1 << 20
XML_INACTIVE = libvirt.VIR_DOMAIN_XML_INACTIVE
AFFECT_CONFIG = libvirt.VIR_DOMAIN_AFFECT_CONFIG
AFFECT_LIVE = libvirt.VIR_DOMAIN_AFFECT_LIVE


@contextlib.contextmanager
def _driver_errors():
    """A failed privileged operation as the DriverError callers expect."""
    try:
        yield
    except CommandError as exc:
        raise driver.DriverError(str(exc)) from exc


def _not_found(exc):
    return exc.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN


class LibvirtDriver(migration.LiveMigrationMixin, driver.ComputeDriver):
    hypervisor_type = 'QEMU'
    detach_timeout = 60          # seconds a guest may take to release a volume
    detach_retry_interval = 5    # the unplug request is repeated this often

    def __init__(self, host):
        super().__init__(host)
        lc = CONF.libvirt
        self.conn = Connection(lc.connection_uri, lc.reconnect_timeout)
        self.instances_path = CONF.compute.instances_path
        self.cache = imagecache.ImageCache(
            os.path.join(self.instances_path, lc.image_cache_subdirectory_name))
        self.virt_type = None
        self._last_sweep = 0.0
        self._sweep_lock = threading.Lock()
        self._volume_locks = {}
        self._volume_locks_lock = threading.Lock()
        self.serial_ports = serial.Ports()

    # -- paths and lookups ------------------------------------------------
    def _dir(self, uuid):
        return os.path.join(self.instances_path, uuid)

    def _paths(self, uuid):
        d = self._dir(uuid)
        return {'dir': d, 'disk': os.path.join(d, 'disk'),
                'config': os.path.join(d, 'disk.config'),
                'console': os.path.join(d, 'console.log'),
                'image': os.path.join(d, 'image_id')}

    def domain_name(self, uuid):
        return f'{CONF.libvirt.domain_prefix}{uuid}'

    @staticmethod
    def _lookup(conn, uuid):
        try:
            return conn.lookupByUUIDString(uuid)
        except libvirt.libvirtError as exc:
            if _not_found(exc):
                raise driver.InstanceNotFoundInDriver(f'no domain for {uuid}') from None
            raise

    def _dom(self, uuid, func):
        """``func(domain)`` on the domain of ``uuid`` (reconnecting if needed)."""
        return self.conn.call(lambda c: func(self._lookup(c, uuid)))

    def _state(self, uuid):
        return self._dom(uuid, lambda d: d.state()[0])

    def _wait_state(self, uuid, wanted, timeout):
        end = time.monotonic() + timeout
        while True:
            st = self._state(uuid)
            if st in wanted or time.monotonic() >= end:
                return st
            time.sleep(0.2)

    # -- host ---------------------------------------------------------------
    def init_host(self):
        os.makedirs(self.instances_path, exist_ok=True)
        self.virt_type = config.choose_virt_type(CONF.libvirt.virt_type)
        self.hypervisor_type = 'QEMU' if self.virt_type == 'qemu' else 'KVM'
        self.conn.get()

    def cleanup_host(self):
        self.conn.close()

    def get_available_resource(self):
        info = self.conn.call(lambda c: c.getInfo())
        version = self.conn.call(lambda c: c.getVersion())
        st = os.statvfs(self.instances_path)
        self._maybe_sweep()
        return {'vcpus': info[2], 'memory_mb': info[1],
                'local_gb': st.f_blocks * st.f_frsize // (1 << 30),
                'hypervisor_type': self.hypervisor_type, 'hypervisor_version': version,
                'hypervisor_hostname': self.host,
                'cpu_info': json.dumps({'arch': 'x86_64', 'model': info[0],
                                        'virt_type': self.virt_type,
                                        'topology': {'sockets': info[5], 'cores': info[6],
                                                     'threads': info[7]}})}

    def _ours(self, dom):
        return dom.name().startswith(CONF.libvirt.domain_prefix)

    def list_instances(self):
        doms = self.conn.call(lambda c: c.listAllDomains())
        return [d.UUIDString() for d in doms if self._ours(d)]

    def get_info(self, instance):
        uuid = instance['uuid']

        def info(dom):
            st = dom.state()[0]
            if st == libvirt.VIR_DOMAIN_SHUTOFF and dom.hasManagedSaveImage():
                return states.SUSPENDED_POWER
            return POWER.get(st, states.NOSTATE)
        return {'power_state': self._dom(uuid, info)}

    # -- image cache sweep ------------------------------------------------------
    def _images_in_use(self):
        used = set()
        with contextlib.suppress(FileNotFoundError):
            for name in os.listdir(self.instances_path):
                with contextlib.suppress(OSError):
                    with open(os.path.join(self.instances_path, name, 'image_id')) as f:
                        used.add(f.read().strip())
        return used

    def _maybe_sweep(self, force=False):
        interval = CONF.libvirt.image_cache_interval
        if not force and (not interval or time.monotonic() - self._last_sweep < interval):
            return []
        with self._sweep_lock:
            self._last_sweep = time.monotonic()
            return self.cache.sweep(self._images_in_use(), CONF.libvirt.image_cache_max_age)

    # -- spawn --------------------------------------------------------------------
    def _xml(self, instance, network_info=None, volume_disks=None, interfaces=None):
        """The domain XML; without ``volume_disks`` the volumes of the
        current definition (if any) are kept, and without ``network_info``
        (or ``interfaces``) its NICs."""
        uuid = instance['uuid']
        p = self._paths(uuid)
        cd = p['config'] if os.path.exists(p['config']) else None
        defined = None
        if volume_disks is None or (network_info is None and interfaces is None):
            defined = self._defined_xml(uuid)
        if volume_disks is None:
            volume_disks = volume.volume_disks(defined)
        if interfaces is None:
            interfaces = [] if defined is None else ET.fromstring(defined).findall(
                'devices/interface')
        root_volume = volume.root_volume(volume_disks)
        serial_tcp = None
        if CONF.serial_console.enabled:
            serial_tcp = self.serial_ports.endpoint(
                uuid, defined if defined is not None else self._defined_xml(uuid),
                self._all_domain_xmls)
        return config.domain_xml(
            self.domain_name(uuid), instance, None if root_volume else p['disk'],
            p['console'],
            virt_type=self.virt_type or config.choose_virt_type(CONF.libvirt.virt_type),
            machine=CONF.libvirt.machine_type, config_drive_path=cd,
            config_drive_bus=CONF.libvirt.config_drive_bus, network_info=network_info,
            volume_disks=volume_disks, interfaces=interfaces, serial_tcp=serial_tcp)

    def _all_domain_xmls(self):
        def xmls(c):
            out = []
            for d in c.listAllDomains():
                with contextlib.suppress(libvirt.libvirtError):
                    out.append(d.XMLDesc(XML_INACTIVE))
            return out
        return self.conn.call(xmls)

    def _defined_volume_disks(self, uuid):
        return volume.volume_disks(self._defined_xml(uuid))

    def _defined_xml(self, uuid):
        """The domain's inactive XML, or None without a domain."""
        try:
            return self._dom(uuid, lambda d: d.XMLDesc(XML_INACTIVE))
        except driver.InstanceNotFoundInDriver:
            return None

    def _mapping_disks(self, uuid, block_device_info):
        """Disk elements (root volume first) of ``block_device_info``'s
        mappings, defining the secrets they need."""
        disks, used = [], {'vda'}
        mappings = []
        root = driver.root_mapping(block_device_info)
        if root is not None:
            mappings.append(('vda', root))
        for bdm in driver.extra_mappings(block_device_info):
            dev = driver.pick_device(used, bdm.get('mount_device'))
            used.add(dev)
            mappings.append((dev, bdm))
        for dev, bdm in mappings:
            disks.append(self._volume_disk(uuid, bdm.get('connection_info') or {}, dev,
                                           bdm.get('serial')))
        return disks

    def _volume_disk(self, uuid, connection_info, dev, serial):
        usage = None
        password = volume.needs_secret(connection_info)
        if password is not None:
            usage = volume.secret_usage(uuid, dev)
            self.conn.call(lambda c: volume.define_secret(
                c, usage, password, f'CHAP of volume {serial} on instance {uuid}'))
        return volume.disk_element(connection_info, dev, serial, usage)

    def spawn(self, context, instance, image_meta, admin_password=None, network_info=None,
              block_device_info=None):
        uuid = instance['uuid']
        image_id = (image_meta or {}).get('id') or instance.get('image_ref')
        from_volume = driver.root_mapping(block_device_info) is not None
        if not image_id and not from_volume:
            raise driver.DriverError('no image and no root volume to boot from')
        p = self._paths(uuid)
        os.makedirs(p['dir'], exist_ok=True)
        os.chmod(p['dir'], 0o755)
        t0 = time.monotonic()
        if not from_volume:
            self._root_disk(p, image_id, instance)
        self._define_and_start(instance, network_info, block_device_info, t0)

    def _define_and_start(self, instance, network_info, block_device_info, t0, start=True):
        """The config drive, the domain defined over the disks there are,
        and (``start``) the guest started."""
        uuid = instance['uuid']
        p = self._paths(uuid)
        if CONF.libvirt.force_config_drive or instance.get('config_drive'):
            configdrive.make_drive(p['config'], instance, network_info)
        disks = self._mapping_disks(uuid, block_device_info) if block_device_info else None
        xml = self._xml(instance, network_info, disks)
        self.conn.call(lambda c: c.defineXML(xml))
        if not start:
            return
        self._dom(uuid, lambda d: d.create())
        LOG.info('guest %s started (%s) in %.2fs', uuid, self.virt_type,
                 time.monotonic() - t0)
        if CONF.libvirt.boot_wait_pattern:
            self._wait_boot(uuid, t0)

    def _root_disk(self, p, image_id, instance):
        """The guest's root disk (unless there is one): an overlay of the
        cached image, grown to the flavor's root_gb."""
        base, base_fmt = self.cache.ensure(image_id)
        with open(p['image'], 'w') as f:
            f.write(image_id)
        if not os.path.exists(p['disk']):
            self.cache.create_overlay(base, base_fmt, p['disk'],
                                      int(instance.get('root_gb') or 0))

    def _wait_boot(self, uuid, t0):
        """Hold the build slot until the console shows the guest booted."""
        pattern = re.compile(CONF.libvirt.boot_wait_pattern.encode())
        end = time.monotonic() + CONF.libvirt.boot_wait_timeout
        while time.monotonic() < end:
            if pattern.search(instances.read_console(uuid, CONF.libvirt.console_log_max_bytes)
                              or b''):
                LOG.info('guest %s booted in %.2fs', uuid, time.monotonic() - t0)
                return
            if self._state(uuid) != libvirt.VIR_DOMAIN_RUNNING:
                raise driver.DriverError(f'guest {uuid} stopped while booting')
            time.sleep(0.1)
        LOG.warning('guest %s: no %r on its console after %ss; carrying on', uuid,
                    CONF.libvirt.boot_wait_pattern, CONF.libvirt.boot_wait_timeout)

    def rebuild(self, context, instance, image_meta, admin_password=None, network_info=None):
        """The same domain (volumes, their CHAP secrets, NICs) over a new
        root disk from ``image_meta``; a root volume is kept as it is."""
        uuid = instance['uuid']
        p = self._paths(uuid)
        xml = self._defined_xml(uuid)
        if xml is None:
            raise driver.InstanceNotFoundInDriver(f'no domain for {uuid}')
        volume_disks = volume.volume_disks(xml)
        nics = ET.fromstring(xml).findall('devices/interface')
        self._undefine(uuid)
        t0 = time.monotonic()
        if not volume.root_volume(volume_disks):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(p['disk'])
            self._root_disk(p, (image_meta or {}).get('id') or instance.get('image_ref'),
                            instance)
        if network_info is not None and os.path.exists(p['config']):
            configdrive.make_drive(p['config'], instance, network_info)
        new = self._xml(instance, network_info, volume_disks, nics)
        self.conn.call(lambda c: c.defineXML(new))
        self._dom(uuid, lambda d: d.create())
        LOG.info('guest %s rebuilt in %.2fs', uuid, time.monotonic() - t0)
        if CONF.libvirt.boot_wait_pattern:
            self._wait_boot(uuid, t0)

    # -- destroy --------------------------------------------------------------
    def _undefine(self, uuid):
        def undefine(dom):
            if dom.isActive():
                try:
                    dom.destroy()
                except libvirt.libvirtError:
                    if dom.isActive():
                        raise
            flags = (libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
                     libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
                     libvirt.VIR_DOMAIN_UNDEFINE_NVRAM)
            dom.undefineFlags(flags)
        try:
            self._dom(uuid, undefine)
        except driver.InstanceNotFoundInDriver:
            pass

    def destroy(self, context, instance, network_info=None, destroy_disks=True):
        uuid = instance['uuid']
        self._undefine(uuid)
        # volumes stay (they are the volume service's); their secrets go
        with contextlib.suppress(libvirt.libvirtError):
            self.conn.call(lambda c: volume.undefine_instance_secrets(c, uuid))
        with self._volume_locks_lock:
            self._volume_locks.pop(uuid, None)
        self.serial_ports.release(uuid)
        if destroy_disks:
            shutil.rmtree(self._dir(uuid), ignore_errors=True)

    # -- power ------------------------------------------------------------------
    def _shutdown(self, uuid, timeout):
        """ACPI shutdown; True if the guest was off within ``timeout``."""
        if self._state(uuid) == libvirt.VIR_DOMAIN_SHUTOFF:
            return True
        with contextlib.suppress(libvirt.libvirtError):
            self._dom(uuid, lambda d: d.shutdown())
        st = self._wait_state(uuid, {libvirt.VIR_DOMAIN_SHUTOFF}, timeout)
        return st == libvirt.VIR_DOMAIN_SHUTOFF

    def _force_off(self, uuid):
        def off(dom):
            if dom.isActive():
                dom.destroy()
        self._dom(uuid, off)

    def power_off(self, instance, timeout=0):
        uuid = instance['uuid']
        if timeout and self._shutdown(uuid, timeout):
            LOG.info('guest %s shut down cleanly', uuid)
            return
        self._force_off(uuid)

    def _hard_start(self, instance, network_info=None):
        """(Re)define the domain from the instance and start it."""
        uuid = instance['uuid']
        with contextlib.suppress(driver.InstanceNotFoundInDriver):
            self._force_off(uuid)
        xml = self._xml(instance, network_info)
        self.conn.call(lambda c: c.defineXML(xml))
        self._dom(uuid, lambda d: d.create())

    def power_on(self, context, instance):
        uuid = instance['uuid']
        try:
            st = self._state(uuid)
        except driver.InstanceNotFoundInDriver:
            if not os.path.exists(self._paths(uuid)['disk']):
                raise
            LOG.warning('guest %s had no domain; defining it again from its disk', uuid)
            self._hard_start(instance)
            return
        if st in (libvirt.VIR_DOMAIN_RUNNING, libvirt.VIR_DOMAIN_BLOCKED):
            return
        if st == libvirt.VIR_DOMAIN_PAUSED:
            self._dom(uuid, lambda d: d.resume())
            return
        if self._dom(uuid, lambda d: d.hasManagedSaveImage()):
            self._dom(uuid, lambda d: d.create())
            return
        self._hard_start(instance)

    def reboot(self, context, instance, reboot_type='SOFT'):
        uuid = instance['uuid']
        try:
            running = self._state(uuid) == libvirt.VIR_DOMAIN_RUNNING
        except driver.InstanceNotFoundInDriver:
            if not os.path.exists(self._paths(uuid)['disk']):
                raise
            running = False
        if reboot_type.upper() == 'SOFT' and running:
            if self._shutdown(uuid, CONF.libvirt.soft_reboot_timeout):
                self._dom(uuid, lambda d: d.create())
                LOG.info('guest %s rebooted (soft)', uuid)
                return
            LOG.warning('guest %s ignored the ACPI shutdown; rebooting hard', uuid)
        self._hard_start(instance)
        LOG.info('guest %s rebooted (hard)', uuid)

    def pause(self, instance):
        self._dom(instance['uuid'], lambda d: d.suspend())

    def unpause(self, instance):
        self._dom(instance['uuid'], lambda d: d.resume())

    def suspend(self, context, instance):
        self._dom(instance['uuid'], lambda d: d.managedSave(0))

    def resume(self, context, instance):
        uuid = instance['uuid']
        if self._state(uuid) == libvirt.VIR_DOMAIN_PAUSED:
            self._dom(uuid, lambda d: d.resume())
        else:
            self._dom(uuid, lambda d: d.create())

    # -- snapshot, console, resize ---------------------------------------------
    def snapshot(self, context, instance, image_id, upload):
        uuid = instance['uuid']
        disk = self._paths(uuid)['disk']
        if not os.path.exists(disk):
            if volume.root_volume(self._defined_volume_disks(uuid)):
                raise driver.DriverError(f'{uuid} boots from a volume: snapshot the volume')
            raise driver.InstanceNotFoundInDriver(f'no disk for {uuid}')
        paused = False
        fd, tmp = tempfile.mkstemp(prefix=f'.snap-{uuid}-', dir=self._dir(uuid))
        os.close(fd)
        try:
            # Pause a running guest while its overlay is read, so the copy is
            # one point in time; it carries on right after.
            if self._state(uuid) == libvirt.VIR_DOMAIN_RUNNING:
                self._dom(uuid, lambda d: d.suspend())
                paused = True
            try:
                with _driver_errors():
                    instances.snapshot_disk(uuid, os.path.basename(tmp))
            finally:
                if paused:
                    self._dom(uuid, lambda d: d.resume())
            with open(tmp, 'rb') as f:
                upload(iter(lambda: f.read(SNAPSHOT_CHUNK), b''), 'qcow2')
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        LOG.info('snapshot of %s uploaded as image %s', uuid, image_id)

    def get_console_output(self, context, instance):
        data = instances.read_console(instance['uuid'], CONF.libvirt.console_log_max_bytes)
        if data is None:
            if instance['uuid'] not in self.list_instances():
                raise driver.InstanceNotFoundInDriver(f'no guest {instance["uuid"]}')
            return ''
        return data.decode('utf-8', errors='replace')

    def get_serial_console(self, context, instance):
        """(host, port) of the running guest's TCP serial port."""
        if not CONF.serial_console.enabled:
            raise driver.ConsoleTypeUnavailable('Unavailable console type serial.')
        host, port = serial.live_endpoint(self._dom(instance['uuid'],
                                                    lambda d: d.XMLDesc(0)))
        return {'host': host, 'port': port}

    def resize(self, context, instance, new_flavor):
        uuid = instance['uuid']
        resized = dict(instance, flavor=new_flavor, vcpus=new_flavor['vcpus'],
                       memory_mb=new_flavor['memory_mb'],
                       root_gb=new_flavor.get('root_gb', instance.get('root_gb')))
        was_on = self._state(uuid) != libvirt.VIR_DOMAIN_SHUTOFF
        self.power_off(instance, CONF.compute.shutdown_timeout)
        want = int(resized.get('root_gb') or 0) * (1 << 30)
        if want and os.path.exists(self._paths(uuid)['disk']):   # not a root volume
            with _driver_errors():
                instances.grow_disk(uuid, want)
        xml = self._xml(resized)
        self.conn.call(lambda c: c.defineXML(xml))
        if was_on:
            self._dom(uuid, lambda d: d.create())

    # -- cold migration -----------------------------------------------------------
    def _staging_dir(self):
        return CONF.libvirt.migration_staging_dir or os.path.join(self.instances_path,
                                                                  '_migrating')

    def migrate_disk_and_power_off(self, context, instance, dest_host):
        """The guest off (it stays defined here until the move ends), its
        root disk flattened (overlay and base image) into one qcow2 in the
        staging directory: ``{'path', 'format', 'source'}`` (no path: it
        boots from a volume, nothing to copy)."""
        uuid = instance['uuid']
        self.power_off(instance, CONF.compute.shutdown_timeout)
        p = self._paths(uuid)
        if not os.path.exists(p['disk']):
            return {'source': self.host}
        staging = self._staging_dir()
        os.makedirs(staging, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f'.snap-{uuid}-', dir=p['dir'])
        os.close(fd)
        staged = os.path.join(staging, f'{uuid}.qcow2')
        try:
            with _driver_errors():
                instances.snapshot_disk(uuid, os.path.basename(tmp))
            shutil.move(tmp, staged)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        LOG.info('disk of %s staged at %s for %s', uuid, staged, dest_host)
        return {'source': self.host, 'path': staged, 'format': 'qcow2'}

    def finish_migration(self, context, instance, disk_info, image_meta, network_info=None,
                         block_device_info=None, power_on=True):
        """The staged disk becomes this guest's own (grown to the flavor's
        root_gb), then the domain is defined and started as a spawn's."""
        uuid = instance['uuid']
        staged = (disk_info or {}).get('path')
        if not staged and driver.root_mapping(block_device_info) is None:
            raise driver.DriverError(f'{uuid}: no disk was handed over and no root volume')
        p = self._paths(uuid)
        os.makedirs(p['dir'], exist_ok=True)
        os.chmod(p['dir'], 0o755)
        t0 = time.monotonic()
        if staged:
            if not os.path.exists(staged):
                raise driver.DriverError(
                    f'the disk of {uuid} is not at {staged} on {self.host}: '
                    '[libvirt] migration_staging_dir must be shared by the compute hosts')
            part = p['disk'] + '.part'
            shutil.copyfile(staged, part)
            os.replace(part, p['disk'])
            os.unlink(staged)
            image_id = (image_meta or {}).get('id') or instance.get('image_ref')
            if image_id:
                with open(p['image'], 'w') as f:
                    f.write(image_id)
            want = int(instance.get('root_gb') or 0) * (1 << 30)
            if want:
                with _driver_errors():
                    instances.grow_disk(uuid, want)
        self._define_and_start(instance, network_info, block_device_info, t0, power_on)

    # -- volumes -------------------------------------------------------------------
    def _volume_lock(self, uuid):
        with self._volume_locks_lock:
            return self._volume_locks.setdefault(uuid, threading.Lock())

    @staticmethod
    def _xmls(dom):
        """(persistent XML, live XML or None) of a domain."""
        active = dom.isActive()
        return dom.XMLDesc(XML_INACTIVE), (dom.XMLDesc(0) if active else None)

    def attach_volume(self, context, instance, connection_info, mountpoint=None,
                      serial=None):
        uuid = instance['uuid']
        driver.volume_target(connection_info)           # unknown type: before any work
        with self._volume_lock(uuid):
            persistent, live = self._dom(uuid, self._xmls)
            for xml in (persistent, live):
                d = volume.find_disk(xml, serial=serial) if serial else None
                if d is not None:
                    raise driver.DriverError(
                        f'volume {serial} is already attached to {uuid} as '
                        f'/dev/{d.find("target").get("dev")}')
            dev = driver.pick_device(volume.used_devices(persistent, live), mountpoint)
            disk = self._volume_disk(uuid, connection_info, dev, serial)
            usage = volume.secret_usage_of(disk)
            xml = ET.tostring(disk, encoding='unicode')
            flags = AFFECT_CONFIG | (AFFECT_LIVE if live is not None else 0)
            try:
                self._dom(uuid, lambda d: d.attachDeviceFlags(xml, flags))
            except libvirt.libvirtError as exc:
                if usage:
                    self.conn.call(lambda c: volume.undefine_secret(c, usage))
                raise driver.DriverError(f'attaching volume {serial} to {uuid} as '
                                         f'{dev} failed: {exc}') from exc
        LOG.info('volume %s attached to %s as /dev/%s (%s)', serial, uuid, dev,
                 'live' if live is not None else 'persistent only')
        return '/dev/' + dev

    def detach_volume(self, context, instance, connection_info, mountpoint, serial=None):
        uuid = instance['uuid']
        target = None
        with contextlib.suppress(driver.DriverError):
            target = driver.volume_target(connection_info)
        with self._volume_lock(uuid):
            try:
                persistent, live = self._dom(uuid, self._xmls)
            except driver.InstanceNotFoundInDriver:
                return
            pdisk = volume.find_disk(persistent, serial, mountpoint, target)
            ldisk = volume.find_disk(live, serial, mountpoint, target)
            if pdisk is None and ldisk is None:
                LOG.info('volume %s is not attached to %s; nothing to detach', serial, uuid)
                return
            usage = volume.secret_usage_of(pdisk if pdisk is not None else ldisk)
            if pdisk is not None:
                xml = ET.tostring(pdisk, encoding='unicode')
                try:
                    self._dom(uuid, lambda d: d.detachDeviceFlags(xml, AFFECT_CONFIG))
                except libvirt.libvirtError as exc:
                    raise driver.DriverError(f'detaching volume {serial} from the '
                                             f'definition of {uuid} failed: {exc}') from exc
            if ldisk is not None:
                self._detach_live(uuid, ldisk, serial)
            if usage:
                self.conn.call(lambda c: volume.undefine_secret(c, usage))
        LOG.info('volume %s detached from %s', serial, uuid)

    def _detach_live(self, uuid, disk, serial):
        """Ask the guest to release ``disk`` until it did (repeating the
        request: a guest may miss the first one while it boots)."""
        dev = disk.find('target').get('dev')
        xml = ET.tostring(disk, encoding='unicode')

        def still_there(dom):
            if not dom.isActive():
                return False
            return dev in volume.used_devices(dom.XMLDesc(0))
        end = time.monotonic() + self.detach_timeout
        asked = 0.0
        while True:
            try:
                if not self._dom(uuid, still_there):
                    return
            except driver.InstanceNotFoundInDriver:
                return
            now = time.monotonic()
            if now >= end:
                raise driver.DriverError(f'guest {uuid} did not release volume {serial} '
                                         f'({dev}) within {self.detach_timeout}s')
            if now - asked >= self.detach_retry_interval:
                asked = now
                try:
                    self._dom(uuid, lambda d: d.detachDeviceFlags(xml, AFFECT_LIVE))
                except libvirt.libvirtError as exc:
                    # gone meanwhile, or an unplug already in progress: poll on
                    LOG.debug('detach %s from %s: %s', dev, uuid, exc)
            time.sleep(0.2)

    def extend_volume(self, context, instance, connection_info, new_size_bytes,
                      serial=None):
        uuid = instance['uuid']
        target = driver.volume_target(connection_info)
        persistent, live = self._dom(uuid, self._xmls)
        if live is None:
            if volume.find_disk(persistent, serial, None, target) is None:
                raise driver.DriverError(f'volume {serial} is not attached to {uuid}')
            return        # a stopped guest reads the size when it starts
        disk = volume.find_disk(live, serial, None, target)
        if disk is None:
            raise driver.DriverError(f'volume {serial} is not attached to {uuid}')
        dev = disk.find('target').get('dev')
        try:
            self._dom(uuid, lambda d: d.blockResize(
                dev, int(new_size_bytes), libvirt.VIR_DOMAIN_BLOCK_RESIZE_BYTES))
        except libvirt.libvirtError as exc:
            raise driver.DriverError(f'resizing volume {serial} ({dev}) of {uuid} '
                                     f'failed: {exc}') from exc
        LOG.info('volume %s of %s now %d bytes', serial, uuid, new_size_bytes)

    def volume_devices(self, instance):
        persistent, live = self._dom(instance['uuid'], self._xmls)
        return [volume.describe(d) for d in volume.volume_disks(live or persistent)]
