"""[libvirt] options: the libvirt hypervisor driver (compute_driver = libvirt)."""
from oslo_config import cfg

libvirt_group = cfg.OptGroup('libvirt', title='libvirt driver',
                             help='How the libvirt driver runs guests under QEMU/KVM.')

libvirt_opts = [
    cfg.StrOpt('connection_uri', default='qemu:///system',
               help='libvirt connection URI. The driver reconnects by itself when '
                    'libvirtd restarts.'),
    cfg.StrOpt('virt_type', default='auto', choices=['auto', 'kvm', 'qemu'],
               help='Domain type: "kvm" (hardware acceleration), "qemu" (TCG, software '
                    'emulation) or "auto": kvm only when /dev/kvm opens and the CPU '
                    'has vmx/svm, else qemu. The choice is logged at start.'),
    cfg.StrOpt('machine_type', default='pc', help='QEMU machine type of x86_64 guests.'),
    cfg.StrOpt('domain_prefix', default='iaas-',
               help='Domains are named <prefix><instance uuid>; only domains with this '
                    'prefix belong to this compute service (tests use a per-run '
                    'prefix).'),
    cfg.IntOpt('reconnect_timeout', default=30, min=0,
               help='Seconds to keep retrying the connection when libvirtd is away.'),
    cfg.BoolOpt('force_config_drive', default=True,
                help='Give every guest a config drive (ISO9660 labelled config-2), '
                     'not only those that asked for one.'),
    cfg.StrOpt('config_drive_bus', default='virtio', choices=['virtio', 'ide'],
               help='Bus of the config drive: a read-only virtio disk or an IDE cdrom.'),
    cfg.IntOpt('soft_reboot_timeout', default=60, min=0,
               help='Seconds a guest has to shut down on a soft reboot before the '
                    'driver falls back to a hard reboot.'),
    cfg.StrOpt('image_cache_subdirectory_name', default='_base',
               help='Directory under [compute] instances_path holding the base images '
                    'shared by the guests of this host.'),
    cfg.IntOpt('image_cache_max_age', default=86400, min=0,
               help='Seconds an unused base image stays cached before it is removed.'),
    cfg.IntOpt('image_cache_interval', default=600, min=0,
               help='Seconds between two sweeps of unused base images (run from the '
                    'resource report; 0 disables the sweep).'),
    cfg.StrOpt('boot_wait_pattern', default='',
               help='When set (a regular expression), a spawn returns only once the '
                    'guest\'s serial console matches it (or after boot_wait_timeout), '
                    'so [compute] max_concurrent_builds bounds guests booting at once, '
                    'not only domains being created: under TCG on few cores, guests '
                    'booting together slow each other down. E.g. "login:" or the test '
                    'image\'s "IAAS-TEST-IMAGE-BOOTED". Empty: return once the domain '
                    'runs.'),
    cfg.IntOpt('boot_wait_timeout', default=120, min=1,
               help='Seconds a spawn waits for boot_wait_pattern before returning '
                    'anyway (the guest keeps running; a warning is logged).'),
    cfg.StrOpt('live_migration_uri', default='qemu+tcp://%s/system',
               help='Template of the libvirt URI a live migration\'s source connects '
                    'to (libvirt peer-to-peer migration): "%s" becomes this host\'s '
                    'live_migration_inbound_addr (else its [DEFAULT] host). Set on '
                    'the destination: it reports the URI to the source. E.g. '
                    '"qemu+tcp://%s/system" (libvirtd listening on TCP) or '
                    '"qemu+ssh://%s/system".'),
    cfg.StrOpt('live_migration_inbound_addr',
               help='Address (host or host:port) other compute hosts reach this '
                    'host\'s libvirtd at for live migrations (put in '
                    'live_migration_uri). Default: the [DEFAULT] host name.'),
    cfg.IntOpt('live_migration_timeout', default=600, min=1,
               help='Seconds a live migration may take (memory and, for a block '
                    'migration, disks copied); then it is aborted and the guest '
                    'keeps running on the source.'),
    cfg.IntOpt('live_migration_prepare_timeout', default=120, min=1,
               help='Deadline (seconds) of the calls between the source and the '
                    'destination of a live migration: preparing the destination '
                    '(which may download the base image) and ending the move '
                    'there.'),
    cfg.IntOpt('console_log_max_bytes', default=1 << 20, min=1024,
               help='Console output returned at most (the end of the log).'),
    cfg.StrOpt('migration_staging_dir', default='',
               help='Directory where the host a cold migration leaves puts the '
                    'guest\'s root disk (flattened to a standalone qcow2) for the '
                    'destination host to take. Every compute host must see the same '
                    'directory at the same path (a shared mount, or hosts on one '
                    'machine); otherwise the cold migration of an image-backed '
                    'server fails at the destination and the server goes to ERROR '
                    '(its guest stays, powered off, on the source). Empty: '
                    '<instances_path>/_migrating.'),
]


def register_opts(conf):
    conf.register_group(libvirt_group)
    conf.register_opts(libvirt_opts, group=libvirt_group)


def list_opts():
    return {libvirt_group: libvirt_opts}
