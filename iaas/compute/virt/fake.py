"""The fake hypervisor: guests live in memory.

It has a configurable capacity, spawn delay and failure rate, and keeps
its own accounting, written to ``$state_path/fake-driver/<host>.json``
after every change, so tests can check what the scheduler placed against
what the "hypervisor" saw: peak usage, and spawns refused for lack of room.
"""
import json
import os
import random
import threading
import time

from iaas.compute.virt import driver
from iaas.conf import CONF
from iaas.states import PAUSED_POWER, RUNNING, SHUTDOWN, SUSPENDED_POWER


class FakeDriver(driver.ComputeDriver):
    hypervisor_type = 'fake'

    def __init__(self, host):
        super().__init__(host)
        self.guests = {}
        self._lock = threading.Lock()
        self.peak = {'vcpus': 0, 'memory_mb': 0, 'local_gb': 0, 'guests': 0}
        self.refused = 0
        self.spawned = 0

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
                'guests': {u: {'power_state': g['power_state']}
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
        with self._lock:
            used, cap = self._used(), self.capacity()
            if fc.enforce_capacity and any(used[k] + res[k] > cap[k] for k in res):
                self.refused += 1
                self._save()
                raise driver.DriverError(f'fake host {self.host} is full')
            self.guests[instance['uuid']] = {
                'power_state': RUNNING, 'resources': res,
                'console': [f'fake guest {instance["uuid"]} booting',
                            f'hostname {instance.get("hostname")}',
                            'iaas-fake-guest: login prompt']}
            self.spawned += 1
            used = self._used()
            for k in res:
                self.peak[k] = max(self.peak[k], used[k])
            self.peak['guests'] = max(self.peak['guests'], len(self.guests))
            self._save()

    def destroy(self, context, instance, network_info=None, destroy_disks=True):
        with self._lock:
            self.guests.pop(instance['uuid'], None)
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
