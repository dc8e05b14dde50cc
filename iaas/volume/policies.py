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
TYPE_ACCESS = _rule('volume_extension:volume_type_access', ADMIN,
                    'See and change which projects may use a private volume type.',
                    ('GET', T + '/os-volume-type-access'), ('POST', T + '/action'))

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


def list_rules():
    return list(RULES)
