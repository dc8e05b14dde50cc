"""The fake hypervisor: guests live in memory.

It has a configurable capacity, spawn delay and failure rate, and keeps
its own accounting, written to ``$state_path/fake-driver/<host>.json``
after every change, so tests can check what the scheduler placed against
what the "hypervisor" saw: peak usage, and spawns refused for lack of room.
Each guest's volumes (device, serial, target, size) are kept too, and
written to the same file (never their connection_info: it may hold
passwords), so control-plane tests can assert what is attached where.
"""
import json
import os
import random
import threading
import time
import weakref

from iaas.compute.virt import driver, fake_serial
from iaas.conf import CONF
from iaas.states import PAUSED_POWER, RUNNING, SHUTDOWN, SUSPENDED_POWER

# the fake hosts of this process, by host name: a live migration moves a
# guest from one's memory to another's
HOSTS = weakref.WeakValueDictionary()


class FakeDriver(driver.ComputeDriver):
    hypervisor_type = 'fake'

    def __init__(self, host):
        super().__init__(host)
        HOSTS[host] = self
        self.guests = {}
        self._lock = threading.Lock()
        self.peak = {'vcpus': 0, 'memory_mb': 0, 'local_gb': 0, 'guests': 0}
        self.refused = 0
        self.spawned = 0
        self.serial_ports = {}

    # -- capacity and accounting --------------------------------------------
    def capacity(self):
        fc, sc = CONF.fake_driver, CONF.scheduler
        return {'vcpus': fc.vcpus * sc.cpu_allocation_ratio,
                'memory_mb': (fc.memory_mb - CONF.compute.reserved_host_memory_mb)
                * sc.ram_allocation_ratio,
                'local_gb': (fc.local_gb - CONF.compute.reserved_host_disk_gb)
                * sc.disk_allocation_ratio}

    def _used(self):
        used = {'vcpus': 0, 'memory_mb': 0, 'local_gb': 0}
        for g in self.guests.values():
            for k in used:
                used[k] += g['resources'][k]
        return used

    def _save(self):
        path = os.path.join(CONF.state_path, 'fake-driver')
        os.makedirs(path, exist_ok=True)
        data = {'host': self.host, 'capacity': self.capacity(), 'used': self._used(),
                'peak': self.peak, 'refused': self.refused, 'spawned': self.spawned,
                'guests': {u: {'power_state': g['power_state'], 'image_id': g.get('image_id'),
                               'volumes': self._volume_list(g)}
                           for u, g in self.guests.items()}}
        tmp = os.path.join(path, f'.{self.host}.json.tmp')
        with open(tmp, 'w') as f:
            json.dump(data, f)
        os.replace(tmp, os.path.join(path, f'{self.host}.json'))

    # -- driver interface ---------------------------------------------------
    def init_host(self):
        with self._lock:
            self._save()

    def get_available_resource(self):
        fc = CONF.fake_driver
        return {'vcpus': fc.vcpus, 'memory_mb': fc.memory_mb, 'local_gb': fc.local_gb,
                'hypervisor_type': 'fake', 'hypervisor_version': 1000,
                'hypervisor_hostname': self.host, 'cpu_info': '{"arch": "x86_64"}'}

    def list_instances(self):
        with self._lock:
            return list(self.guests)

    def _guest(self, instance):
        g = self.guests.get(instance['uuid'])
        if g is None:
            raise driver.InstanceNotFoundInDriver(f'no guest {instance["uuid"]}')
        return g

    def get_info(self, instance):
        with self._lock:
            return {'power_state': self._guest(instance)['power_state']}

    def spawn(self, context, instance, image_meta, admin_password=None, network_info=None,
              block_device_info=None):
        fc = CONF.fake_driver
        if fc.spawn_delay:
            time.sleep(fc.spawn_delay)
        if fc.spawn_failure_rate and random.random() < fc.spawn_failure_rate:
            raise driver.DriverError('fake spawn failure (injected)')
        flavor = instance.get('flavor') or {}
        res = {'vcpus': instance.get('vcpus') or flavor.get('vcpus', 0),
               'memory_mb': instance.get('memory_mb') or flavor.get('memory_mb', 0),
               'local_gb': (instance.get('root_gb') or 0) + (instance.get('ephemeral_gb') or 0)}
        volumes = self._spawn_volumes(image_meta, instance, block_device_info)
        with self._lock:
            used, cap = self._used(), self.capacity()
            if fc.enforce_capacity and any(used[k] + res[k] > cap[k] for k in res):
                self.refused += 1
                self._save()
                raise driver.DriverError(f'fake host {self.host} is full')
            self.guests[instance['uuid']] = {
                'power_state': RUNNING, 'resources': res, 'volumes': volumes,
                'boot_from_volume': bool(driver.root_mapping(block_device_info)),
                'image_id': (image_meta or {}).get('id') or instance.get('image_ref'),
                'console': [f'fake guest {instance["uuid"]} booting',
                            f'hostname {instance.get("hostname")}',
                            'iaas-fake-guest: login prompt']}
            self.spawned += 1
            used = self._used()
            for k in res:
                self.peak[k] = max(self.peak[k], used[k])
            self.peak['guests'] = max(self.peak['guests'], len(self.guests))
            if CONF.serial_console.enabled:
                self._serial_port(instance['uuid'])
            self._save()

    def destroy(self, context, instance, network_info=None, destroy_disks=True):
        with self._lock:
            self.guests.pop(instance['uuid'], None)
            port = self.serial_ports.pop(instance['uuid'], None)
            self._save()
        if port is not None:
            port.close()

    def cleanup_host(self):
        with self._lock:
            ports, self.serial_ports = list(self.serial_ports.values()), {}
        for port in ports:
            port.close()

    def _serial_port(self, uuid):
        """The guest's serial port server (made if missing); under _lock."""
        port = self.serial_ports.get(uuid)
        if port is None:
            port = self.serial_ports[uuid] = fake_serial.SerialPort(uuid)
        return port

    def get_serial_console(self, context, instance):
        if not CONF.serial_console.enabled:
            raise driver.ConsoleTypeUnavailable('Unavailable console type serial.')
        with self._lock:
            self._guest(instance)
            port = self._serial_port(instance['uuid'])
            return {'host': port.host, 'port': port.port}

    def rebuild(self, context, instance, image_meta, admin_password=None, network_info=None):
        with self._lock:
            g = self._guest(instance)
            g.update(power_state=RUNNING, image_id=(image_meta or {}).get('id') or g.get('image_id'),
                     console=[f'fake guest {instance["uuid"]} rebuilt',
                              f'hostname {instance.get("hostname")}',
                              'iaas-fake-guest: login prompt'])
            self.spawned += 1
            self._save()

    def _set_power(self, instance, state, line):
        with self._lock:
            g = self._guest(instance)
            g['power_state'] = state
            g['console'].append(line)
            self._save()

    def power_off(self, instance, timeout=0):
        self._set_power(instance, SHUTDOWN, 'power off')

    def power_on(self, context, instance):
        self._set_power(instance, RUNNING, 'power on')

    def reboot(self, context, instance, reboot_type='SOFT'):
        self._set_power(instance, RUNNING, f'reboot ({reboot_type.lower()})')

    def pause(self, instance):
        self._set_power(instance, PAUSED_POWER, 'paused')

    def unpause(self, instance):
        self._set_power(instance, RUNNING, 'unpaused')

    def suspend(self, context, instance):
        self._set_power(instance, SUSPENDED_POWER, 'suspended')

    def resume(self, context, instance):
        self._set_power(instance, RUNNING, 'resumed')

    def snapshot(self, context, instance, image_id, upload):
        with self._lock:
            self._guest(instance)
        data = f'fake snapshot of {instance["uuid"]}\n'.encode() * 64
        upload(iter([data]), 'raw')

    def get_console_output(self, context, instance):
        with self._lock:
            return '\n'.join(self._guest(instance)['console']) + '\n'

    def resize(self, context, instance, new_flavor):
        with self._lock:
            g = self._guest(instance)
            g['resources'] = {'vcpus': new_flavor['vcpus'],
                              'memory_mb': new_flavor['memory_mb'],
                              'local_gb': new_flavor.get('root_gb', 0)
                              + new_flavor.get('ephemeral_gb', 0)}
            g['console'].append(f'resized to {new_flavor.get("name")}')
            self._save()

    # -- cold migration ---------------------------------------------------------
    def migrate_disk_and_power_off(self, context, instance, dest_host):
        """The guest is powered off; its "disk" is what it was made from and
        what its console said (so the destination shows it moved)."""
        with self._lock:
            g = self._guest(instance)
            g['power_state'] = SHUTDOWN
            g['console'].append(f'migrating to {dest_host}')
            self._save()
            return {'image_id': g.get('image_id'), 'console': list(g['console']),
                    'source': self.host}

    def finish_migration(self, context, instance, disk_info, image_meta, network_info=None,
                         block_device_info=None, power_on=True):
        disk_info = disk_info or {}
        image = {'id': disk_info['image_id']} if disk_info.get('image_id') else image_meta
        self.spawn(context, instance, image, network_info=network_info,
                   block_device_info=block_device_info)
        with self._lock:
            g = self._guest(instance)
            g['console'] = list(disk_info.get('console') or g['console']) + [
                f'migrated from {disk_info.get("source")} to {self.host}']
            if not power_on:
                g['power_state'] = SHUTDOWN
            self._save()

    # -- live migration ---------------------------------------------------------
    def pre_live_migration(self, context, instance, block_migration, network_info,
                           disk_info):
        return {'dest_host': self.host}

    def live_migration(self, context, instance, dest, migrate_data):
        """Move the guest into the fake host ``dest`` of this process (a
        DriverError when there is none: the guest stays here)."""
        t0 = time.monotonic()
        target = HOSTS.get(dest)
        if target is None or target is self:
            raise driver.DriverError(f'no fake host {dest} in this process')
        uuid = instance['uuid']
        with self._lock:
            guest = dict(self._guest(instance))
        guest['console'] = guest['console'] + [f'live-migrated from {self.host} to {dest}']
        with target._lock:
            target.guests[uuid] = guest
            if CONF.serial_console.enabled:
                target._serial_port(uuid)
            target._save()
        with self._lock:
            self.guests.pop(uuid, None)
            port = self.serial_ports.pop(uuid, None)
            self._save()
        if port is not None:
            port.close()
        return {'total_s': round(time.monotonic() - t0, 3)}

    # -- volumes ----------------------------------------------------------------
    @staticmethod
    def _volume_list(guest):
        return [{k: v[k] for k in ('serial', 'device', 'target', 'size')}
                for _, v in sorted(guest.get('volumes', {}).items())]

    @staticmethod
    def _spawn_volumes(image_meta, instance, block_device_info):
        root = driver.root_mapping(block_device_info)
        volumes = {}
        if root is not None:
            volumes['vda'] = {'serial': root.get('serial'), 'device': '/dev/vda',
                              'target': driver.volume_target(root.get('connection_info')),
                              'size': None, 'connection_info': root.get('connection_info')}
        used = {'vda'}
        for bdm in driver.extra_mappings(block_device_info):
            dev = driver.pick_device(used, bdm.get('mount_device'))
            used.add(dev)
            volumes[dev] = {'serial': bdm.get('serial'), 'device': '/dev/' + dev,
                            'target': driver.volume_target(bdm.get('connection_info')),
                            'size': None, 'connection_info': bdm.get('connection_info')}
        return volumes

    def attach_volume(self, context, instance, connection_info, mountpoint=None,
                      serial=None):
        target = driver.volume_target(connection_info)
        with self._lock:
            g = self._guest(instance)
            vols = g.setdefault('volumes', {})
            for dev, v in vols.items():
                if serial and v['serial'] == serial:
                    raise driver.DriverError(f'volume {serial} is already attached to '
                                             f'{instance["uuid"]} as /dev/{dev}')
            dev = driver.pick_device(set(vols) | {'vda'}, mountpoint)
            vols[dev] = {'serial': serial, 'device': '/dev/' + dev, 'target': target,
                         'size': None, 'connection_info': connection_info}
            g['console'].append(f'attached {serial} as /dev/{dev}')
            self._save()
            return '/dev/' + dev

    def _find_volume(self, guest, mountpoint, serial):
        vols = guest.get('volumes', {})
        if serial:
            for dev, v in vols.items():
                if v['serial'] == serial:
                    return dev
        dev = driver.device_name(mountpoint)
        if dev in vols and (not serial or not vols[dev]['serial']):
            return dev
        return None

    def detach_volume(self, context, instance, connection_info, mountpoint, serial=None):
        with self._lock:
            g = self._guest(instance)
            dev = self._find_volume(g, mountpoint, serial)
            if dev is None:
                return
            del g['volumes'][dev]
            g['console'].append(f'detached {serial} from /dev/{dev}')
            self._save()

    def extend_volume(self, context, instance, connection_info, new_size_bytes,
                      serial=None):
        with self._lock:
            g = self._guest(instance)
            for v in g.get('volumes', {}).values():
                if (serial and v['serial'] == serial) or (
                        not serial and v['connection_info'] == connection_info):
                    v['size'] = int(new_size_bytes)
                    self._save()
                    return
            raise driver.DriverError(f'volume {serial} is not attached to '
                                     f'{instance["uuid"]}')

    def volume_devices(self, instance):
        with self._lock:
            return [{k: v[k] for k in ('serial', 'device', 'target')}
                    for v in self._volume_list(self._guest(instance))]
