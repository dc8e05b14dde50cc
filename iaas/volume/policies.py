"""The block-storage API's policy rules (oslo.policy defaults in code,
Cinder's names).

Every handler of ``iaas/api/volume`` declares one of these with
``@wsgi.route_policy``; the router checks it against the caller's own
project. :mod:`iaas.volume.api` checks the rule again on the resource it
loads (target: the resource's ``project_id``): a volume, snapshot or type
the caller may not show is answered 404, one it may see but not change 403.
``POST …/action`` routes are declared with the collection's action rule;
the dispatcher checks each action's own rule.
"""
from iaas.policies import documented

ADMIN = 'rule:admin_required'
READER = 'rule:project_reader'
MEMBER = 'rule:project_member'
ANY = '@'

P = '/v3/{project_id}'
V = P + '/volumes/{volume_id}'
S = P + '/snapshots/{snapshot_id}'
T = P + '/types/{type_id}'
Q = P + '/os-quota-sets/{target_project_id}'

RULES = []


def _rule(name, check, what, *ops):
    RULES.append(documented(name, check, what, ops))
    return name


# -- volumes ---------------------------------------------------------------------------
VOLUME_CREATE = _rule('volume:create', MEMBER, 'Create a volume.', ('POST', P + '/volumes'))
VOLUME_CREATE_FROM_IMAGE = _rule('volume:create_from_image', MEMBER,
                                 'Create a volume from an image.', ('POST', P + '/volumes'))
VOLUME_GET = _rule('volume:get', READER, 'Show a volume (also decides whether another '
                   'project\'s volume exists for the caller: 404 when not), or an '
                   'attachment of it (Cinder has no rule of its own for that).',
                   ('GET', V), ('GET', P + '/attachments/{attachment_id}'))
VOLUME_GET_ALL = _rule('volume:get_all', READER, 'List volumes, or their attachments '
                       '(Cinder has no rule of its own for that).',
                       ('GET', P + '/volumes'), ('GET', P + '/volumes/detail'),
                       ('GET', P + '/attachments'), ('GET', P + '/attachments/detail'))
VOLUME_ALL_TENANTS = _rule('volume:get_all:all_tenants', ADMIN,
                           'List the volumes (or attachments) of every project '
                           '(all_tenants=1).',
                           ('GET', P + '/volumes'), ('GET', P + '/volumes/detail'),
                           ('GET', P + '/attachments'), ('GET', P + '/attachments/detail'))
VOLUME_UPDATE = _rule('volume:update', MEMBER, 'Rename a volume or change its description '
                      'or metadata.', ('PUT', V), ('POST', V + '/metadata'))
VOLUME_DELETE = _rule('volume:delete', MEMBER, 'Delete a volume.', ('DELETE', V))
VOLUME_ACTION = _rule('volume:action', MEMBER, 'Call POST /volumes/{volume_id}/action at '
                      'all; each action then checks its own rule.', ('POST', V + '/action'))
VOLUME_EXTEND = _rule('volume:extend', MEMBER, 'Extend a volume (os-extend).',
                      ('POST', V + '/action'))
VOLUME_RETYPE = _rule('volume:retype', MEMBER, 'Change a volume\'s type (os-retype; '
                      'without migration: the volume\'s backend must suit the new type).',
                      ('POST', V + '/action'))
VOLUME_EXTEND_ATTACHED = _rule('volume:extend_attached_volume', MEMBER,
                               'Extend an attached volume.', ('POST', V + '/action'))
VOLUME_IMAGE_METADATA = _rule('volume_extension:volume_image_metadata:set', MEMBER,
                              'Set or unset the image metadata of a volume.',
                              ('POST', V + '/action'))
VOLUME_UPLOAD = _rule('volume_extension:volume_actions:upload_image', MEMBER,
                      'Upload a volume to an image (os-volume_upload_image).',
                      ('POST', V + '/action'))
VOLUME_UPLOAD_PUBLIC = _rule('volume_extension:volume_actions:upload_public', ADMIN,
                             'Upload a volume to a public image.', ('POST', V + '/action'))
VOLUME_BOOTABLE = _rule('volume:update_volume_bootable', MEMBER,
                        'Mark a volume bootable or not (os-set_bootable).',
                        ('POST', V + '/action'))
VOLUME_READONLY = _rule('volume:update_readonly_flag', MEMBER,
                        'Mark a volume read-only (os-update_readonly_flag).',
                        ('POST', V + '/action'))
VOLUME_RESERVE = _rule('volume_extension:volume_actions:reserve', MEMBER,
                       'Mark an available volume reserved (os-reserve).',
                       ('POST', V + '/action'))
VOLUME_UNRESERVE = _rule('volume_extension:volume_actions:unreserve', MEMBER,
                         'End a reservation made with os-reserve (os-unreserve).',
                         ('POST', V + '/action'))
VOLUME_RESET_STATUS = _rule('volume_extension:volume_admin_actions:reset_status', ADMIN,
                            'Reset a volume\'s status (os-reset_status).',
                            ('POST', V + '/action'))
VOLUME_FORCE_DELETE = _rule('volume_extension:volume_admin_actions:force_delete', ADMIN,
                            'Delete a volume whatever its status (os-force_delete).',
                            ('POST', V + '/action'))
VOLUME_FORCE_DETACH = _rule('volume_extension:volume_admin_actions:force_detach', ADMIN,
                            'Take a volume off a server whose host is gone '
                            '(os-force_detach).', ('POST', V + '/action'))
VOLUME_MIGRATE = _rule('volume_extension:volume_admin_actions:migrate_volume', ADMIN,
                       'Migrate an available volume to another backend '
                       '(os-migrate_volume).', ('POST', V + '/action'))
VOLUME_MIGRATE_COMPLETION = _rule(
    'volume_extension:volume_admin_actions:migrate_volume_completion', ADMIN,
    'End a volume\'s migration (os-migrate_volume_completion; here: abort one with '
    'error=true).', ('POST', V + '/action'))
VOLUME_HOST_ATTRIBUTE = _rule('volume_extension:volume_host_attribute', ADMIN,
                              'See a volume\'s backend (os-vol-host-attr:host).',
                              ('GET', V), ('GET', P + '/volumes/detail'))

# -- attachments (Cinder's attachment API, 3.27+) -----------------------------------
A = P + '/attachments/{attachment_id}'
ATTACHMENT_CREATE = _rule('volume:attachment_create', MEMBER,
                          'Create an attachment: reserve a volume for a server (and export '
                          'it to a connector when one is given).', ('POST', P + '/attachments'))
ATTACHMENT_UPDATE = _rule('volume:attachment_update', MEMBER,
                          'Update an attachment with a connector (export the volume to it).',
                          ('PUT', A))
ATTACHMENT_DELETE = _rule('volume:attachment_delete', MEMBER,
                          'Delete an attachment (withdraw the export, free the volume).',
                          ('DELETE', A))
ATTACHMENT_COMPLETE = _rule('volume:attachment_complete', MEMBER,
                            'Mark a volume attachment process as completed (in-use).',
                            ('POST', A + '/action (os-complete)'))
MULTIATTACH_BOOTABLE = _rule('volume:multiattach_bootable_volume', MEMBER,
                             'Allow multiattach of bootable volumes.',
                             ('POST', P + '/attachments'))

# -- snapshots -------------------------------------------------------------------------
SNAPSHOT_CREATE = _rule('volume:create_snapshot', MEMBER, 'Take a snapshot of a volume.',
                        ('POST', P + '/snapshots'))
SNAPSHOT_GET = _rule('volume:get_snapshot', READER, 'Show a snapshot.', ('GET', S))
SNAPSHOT_GET_ALL = _rule('volume:get_all_snapshots', READER, 'List snapshots.',
                         ('GET', P + '/snapshots'), ('GET', P + '/snapshots/detail'))
SNAPSHOT_ALL_TENANTS = _rule('volume:get_all_snapshots:all_tenants', ADMIN,
                             'List the snapshots of every project.',
                             ('GET', P + '/snapshots'))
SNAPSHOT_UPDATE = _rule('volume:update_snapshot', MEMBER, 'Rename a snapshot or change '
                        'its description or metadata.', ('PUT', S))
SNAPSHOT_DELETE = _rule('volume:delete_snapshot', MEMBER, 'Delete a snapshot.',
                        ('DELETE', S))
SNAPSHOT_ACTION = _rule('volume:snapshot_action', MEMBER, 'Call POST '
                        '/snapshots/{snapshot_id}/action at all.', ('POST', S + '/action'))
SNAPSHOT_RESET_STATUS = _rule('volume_extension:snapshot_admin_actions:reset_status', ADMIN,
                              'Reset a snapshot\'s status.', ('POST', S + '/action'))
SNAPSHOT_UPDATE_STATUS = _rule('snapshot_extension:snapshot_actions:update_snapshot_status',
                               MEMBER, 'Update a snapshot\'s status and progress during '
                               'its creation or deletion (os-update_snapshot_status).',
                               ('POST', S + '/action'))
SNAPSHOT_FORCE_DELETE = _rule('volume_extension:snapshot_admin_actions:force_delete', ADMIN,
                              'Delete a snapshot whatever its status.',
                              ('POST', S + '/action'))

# -- backups ------------------------------------------------------------------------------
B = P + '/backups/{backup_id}'
BACKUP_CREATE = _rule('backup:create', MEMBER, 'Back a volume up to the object store.',
                      ('POST', P + '/backups'))
BACKUP_GET = _rule('backup:get', READER, 'Show a backup.', ('GET', B))
BACKUP_GET_ALL = _rule('backup:get_all', READER, 'List backups.',
                       ('GET', P + '/backups'), ('GET', P + '/backups/detail'))
BACKUP_ALL_TENANTS = _rule('backup:get_all:all_tenants', ADMIN,
                           'List the backups of every project.', ('GET', P + '/backups'))
BACKUP_UPDATE = _rule('backup:update', MEMBER, 'Rename a backup.', ('PUT', B))
BACKUP_DELETE = _rule('backup:delete', MEMBER, 'Delete a backup.', ('DELETE', B))
BACKUP_RESTORE = _rule('backup:restore', MEMBER, 'Restore a backup to a volume.',
                       ('POST', B + '/restore'))
BACKUP_ACTION = _rule('backup:action', MEMBER, 'Call POST /backups/{backup_id}/action.',
                      ('POST', B + '/action'))
BACKUP_RESET_STATUS = _rule('volume_extension:backup_admin_actions:reset_status', ADMIN,
                            'Reset a backup\'s status.', ('POST', B + '/action'))
BACKUP_FORCE_DELETE = _rule('volume_extension:backup_admin_actions:force_delete', ADMIN,
                            'Delete a backup whatever its status.', ('POST', B + '/action'))
BACKUP_PROJECT_ATTRIBUTE = _rule('backup:backup_project_attribute', ADMIN,
                                 'See a backup\'s project.', ('GET', B))
BACKUP_EXPORT = _rule('backup:export-import', ADMIN,
                      'Export a backup\'s record (what import_record takes back).',
                      ('GET', B + '/export_record'))
BACKUP_IMPORT = _rule('backup:backup-import', ADMIN,
                      'Import a backup record: a backup of data already in the object '
                      'store (the record names it, so whoever may import may read any '
                      'backup data whose name they know).',
                      ('POST', P + '/backups/import_record'))
BACKUP_IMPORT_PROJECT = _rule('backup:backup-import:project', ADMIN,
                              'Import a backup record into another project than the '
                              'caller\'s ("project_id" in the request), or one naming '
                              'backup data another project\'s backup was made of.',
                              ('POST', P + '/backups/import_record'))

# -- user messages (3.3+) ---------------------------------------------------------------
M = P + '/messages/{message_id}'
MESSAGE_GET = _rule('message:get', READER, 'Show a user message (another project\'s is '
                    '404; an admin sees every project\'s).', ('GET', M))
MESSAGE_GET_ALL = _rule('message:get_all', READER, 'List user messages (an admin\'s list '
                        'holds every project\'s).', ('GET', P + '/messages'))
MESSAGE_DELETE = _rule('message:delete', MEMBER, 'Delete a user message.', ('DELETE', M))

# -- volume types ----------------------------------------------------------------------
TYPE_GET = _rule('volume_extension:type_get', READER, 'Show a volume type.', ('GET', T))
TYPE_GET_ALL = _rule('volume_extension:type_get_all', READER, 'List volume types.',
                     ('GET', P + '/types'))
TYPE_MANAGE = _rule('volume_extension:types_manage', ADMIN,
                    'Create, update or delete volume types and their extra specs.',
                    ('POST', P + '/types'), ('PUT', T), ('DELETE', T),
                    ('POST', T + '/extra_specs'), ('PUT', T + '/extra_specs/{key}'),
                    ('DELETE', T + '/extra_specs/{key}'))
TYPE_EXTRA_SPECS = _rule('volume_extension:types_extra_specs:read', ADMIN,
                         'See volume types\' extra specs.', ('GET', T + '/extra_specs'))
_ENC = T + '/encryption'
TYPE_ENCRYPTION = _rule('volume_extension:volume_type_encryption', ADMIN,
                        'Base rule of every volume type encryption operation (the '
                        'specs are kept and shown; no volume is encrypted: volumes of a '
                        'type with a spec are refused).',
                        ('POST', _ENC), ('GET', _ENC), ('GET', _ENC + '/{key}'),
                        ('PUT', _ENC + '/{encryption_id}'),
                        ('DELETE', _ENC + '/{encryption_id}'))
_ENC_BASE = 'rule:' + TYPE_ENCRYPTION
TYPE_ENCRYPTION_CREATE = _rule('volume_extension:volume_type_encryption:create', _ENC_BASE,
                               'Create the encryption spec of a volume type.',
                               ('POST', _ENC))
TYPE_ENCRYPTION_GET = _rule('volume_extension:volume_type_encryption:get', _ENC_BASE,
                            'Show the encryption spec of a volume type, or one item of it.',
                            ('GET', _ENC), ('GET', _ENC + '/{key}'))
TYPE_ENCRYPTION_UPDATE = _rule('volume_extension:volume_type_encryption:update', _ENC_BASE,
                               'Update the encryption spec of a volume type.',
                               ('PUT', _ENC + '/{encryption_id}'))
TYPE_ENCRYPTION_DELETE = _rule('volume_extension:volume_type_encryption:delete', _ENC_BASE,
                               'Delete the encryption spec of a volume type.',
                               ('DELETE', _ENC + '/{encryption_id}'))
TYPE_ACCESS = _rule('volume_extension:volume_type_access', ADMIN,
                    'See and change which projects may use a private volume type.',
                    ('GET', T + '/os-volume-type-access'), ('POST', T + '/action'))

# -- generic volume groups (group types 3.11+, groups 3.13+, group snapshots 3.14+) ----
GT = P + '/group_types/{group_type_id}'
G = P + '/groups/{group_id}'
GS = P + '/group_snapshots/{group_snapshot_id}'
GROUP_TYPE_GET = _rule('group:group_types:get', READER,
                       'List and show group types (private ones: admins only).',
                       ('GET', P + '/group_types'), ('GET', GT),
                       ('GET', P + '/group_types/default'))
GROUP_TYPE_CREATE = _rule('group:group_types:create', ADMIN, 'Create a group type.',
                          ('POST', P + '/group_types'))
GROUP_TYPE_UPDATE = _rule('group:group_types:update', ADMIN, 'Update a group type.',
                          ('PUT', GT))
GROUP_TYPE_DELETE = _rule('group:group_types:delete', ADMIN, 'Delete a group type.',
                          ('DELETE', GT))
GROUP_TYPE_SPECS_READ = _rule('group:access_group_types_specs', ADMIN,
                              'See group types\' group specs.',
                              ('GET', GT + '/group_specs'),
                              ('GET', GT + '/group_specs/{key}'))
GROUP_TYPE_SPECS_MANAGE = _rule('group:group_types_specs', ADMIN,
                                'Create, update or delete group specs of a group type.',
                                ('POST', GT + '/group_specs'),
                                ('PUT', GT + '/group_specs/{key}'),
                                ('DELETE', GT + '/group_specs/{key}'))
GROUP_CREATE = _rule('group:create', MEMBER, 'Create a group (also from a group snapshot '
                     'or another group: POST /groups/action, 3.14).',
                     ('POST', P + '/groups'), ('POST', P + '/groups/action'))
GROUP_GET = _rule('group:get', READER, 'Show a group (also decides whether another '
                  'project\'s group exists for the caller: 404 when not).', ('GET', G))
GROUP_GET_ALL = _rule('group:get_all', READER, 'List groups.',
                      ('GET', P + '/groups'), ('GET', P + '/groups/detail'))
GROUP_UPDATE = _rule('group:update', MEMBER, 'Rename a group, add or remove volumes.',
                     ('PUT', G))
GROUP_DELETE = _rule('group:delete', MEMBER, 'Delete a group (and its volumes with '
                     'delete-volumes); the rule of POST /groups/{group_id}/action.',
                     ('POST', G + '/action (delete)'))
GROUP_RESET_STATUS = _rule('group:reset_status', ADMIN, 'Reset a group\'s status (3.20).',
                           ('POST', G + '/action (reset_status)'))
GROUP_SNAPSHOT_CREATE = _rule('group:create_group_snapshot', MEMBER,
                              'Snapshot every volume of a group.',
                              ('POST', P + '/group_snapshots'))
GROUP_SNAPSHOT_GET = _rule('group:get_group_snapshot', READER, 'Show a group snapshot.',
                           ('GET', GS))
GROUP_SNAPSHOT_GET_ALL = _rule('group:get_all_group_snapshots', READER,
                               'List group snapshots.', ('GET', P + '/group_snapshots'),
                               ('GET', P + '/group_snapshots/detail'))
GROUP_SNAPSHOT_DELETE = _rule('group:delete_group_snapshot', MEMBER,
                              'Delete a group snapshot and its snapshots.', ('DELETE', GS))
GROUP_SNAPSHOT_RESET_STATUS = _rule('group:reset_group_snapshot_status', ADMIN,
                                    'Reset a group snapshot\'s status (3.19).',
                                    ('POST', GS + '/action'))

# -- quotas, limits, zones, services ---------------------------------------------------
QUOTA_SHOW = _rule('volume_extension:quotas:show', READER, 'Show a project\'s quotas.',
                   ('GET', Q), ('GET', Q + '/defaults'))
QUOTA_UPDATE = _rule('volume_extension:quotas:update', ADMIN, 'Set a project\'s quotas.',
                     ('PUT', Q))
QUOTA_DELETE = _rule('volume_extension:quotas:delete', ADMIN,
                     'Reset a project\'s quotas to the defaults.', ('DELETE', Q))
LIMITS = _rule('limits_extension:used_limits', READER, 'Show the caller\'s limits and use.',
               ('GET', P + '/limits'))
AZ_LIST = _rule('volume_extension:availability_zone_list', READER,
                'List availability zones.', ('GET', P + '/os-availability-zone'))
SERVICES = _rule('volume_extension:services:index', ADMIN, 'List volume services.',
                 ('GET', P + '/os-services'))
SERVICES_UPDATE = _rule('volume_extension:services:update', ADMIN,
                        'Enable or disable a volume service (the scheduler skips a '
                        'disabled one), or freeze/thaw its host.',
                        ('PUT', P + '/os-services/{action}'))
CAPABILITIES = _rule('volume_extension:capabilities', ADMIN,
                     'Show a backend\'s capabilities.',
                     ('GET', P + '/capabilities/{hostname}'))
POOLS = _rule('scheduler_extension:scheduler_stats:get_pools', ADMIN,
              'List backends with their capacity.', ('GET', P + '/scheduler-stats/get_pools'))
EXTENSIONS = _rule('volume_extension:extensions', READER, 'List the API extensions served.',
                   ('GET', P + '/extensions'))

# -- volume transfers (os-volume-transfer; volume-transfers 3.55+) -----------------------
_TRANSFERS = (P + '/os-volume-transfer', P + '/volume-transfers')
TRANSFER_CREATE = _rule('volume:create_transfer', MEMBER,
                        'Offer a volume to another project (a volume transfer).',
                        *[('POST', c) for c in _TRANSFERS])
TRANSFER_ACCEPT = _rule('volume:accept_transfer', MEMBER,
                        'Accept a volume transfer into the caller\'s project (by id, from '
                        'any project, with the transfer\'s key).',
                        *[('POST', c + '/{transfer_id}/accept') for c in _TRANSFERS])
TRANSFER_DELETE = _rule('volume:delete_transfer', MEMBER, 'Delete a volume transfer.',
                        *[('DELETE', c + '/{transfer_id}') for c in _TRANSFERS])
TRANSFER_GET = _rule('volume:get_transfer', READER, 'Show a volume transfer (another '
                     'project\'s is 404).', *[('GET', c + '/{transfer_id}') for c in _TRANSFERS])
TRANSFER_GET_ALL = _rule('volume:get_all_transfers', READER, 'List volume transfers.',
                         *[('GET', c + x) for c in _TRANSFERS for x in ('', '/detail')])
TRANSFER_ALL_TENANTS = _rule('volume:get_all_transfers:all_tenants', ADMIN,
                             'List the volume transfers of every project (all_tenants=1).',
                             *[('GET', c + x) for c in _TRANSFERS for x in ('', '/detail')])

# -- QoS specs, hosts -------------------------------------------------------------------
QS = P + '/qos-specs/{qos_id}'
QOS_CREATE = _rule('volume_extension:qos_specs_manage:create', ADMIN, 'Create QoS specs.',
                   ('POST', P + '/qos-specs'))
QOS_GET = _rule('volume_extension:qos_specs_manage:get', ADMIN,
                'Show QoS specs and their associations.', ('GET', QS),
                ('GET', QS + '/associations'))
QOS_GET_ALL = _rule('volume_extension:qos_specs_manage:get_all', ADMIN, 'List QoS specs.',
                    ('GET', P + '/qos-specs'))
QOS_UPDATE = _rule('volume_extension:qos_specs_manage:update', ADMIN,
                   'Set keys of QoS specs, associate them with volume types or '
                   'disassociate them.', ('PUT', QS), ('GET', QS + '/associate'),
                   ('GET', QS + '/disassociate'), ('GET', QS + '/disassociate_all'))
QOS_DELETE = _rule('volume_extension:qos_specs_manage:delete', ADMIN,
                   'Delete QoS specs or keys of them.', ('DELETE', QS),
                   ('PUT', QS + '/delete_keys'))
HOSTS = _rule('volume_extension:hosts', ADMIN, 'List volume hosts and show what one holds.',
              ('GET', P + '/os-hosts'), ('GET', P + '/os-hosts/{host_name}'))

# -- quota classes -------------------------------------------------------------------------
QC = P + '/os-quota-class-sets/{quota_class_name}'
QUOTA_CLASS_SHOW = _rule('volume_extension:quota_classes', ADMIN,
                         'Show a quota class (class "default": the limits of projects '
                         'without their own).', ('GET', QC))
QUOTA_CLASS_UPDATE = _rule('volume_extension:quota_classes:update', ADMIN,
                           'Set the limits of a quota class (class "default": the default '
                           'quotas of every project).', ('PUT', QC))


def list_rules():
    return list(RULES)
