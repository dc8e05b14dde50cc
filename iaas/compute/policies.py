"""The compute API's policy rules (oslo.policy defaults in code, Nova's names).

Every handler of ``iaas/api/compute`` declares one of these with
``@wsgi.route_policy``; the router checks it against the caller's own
project. Handlers and :mod:`iaas.compute.api` check the rule again on the
resource they load (target: the resource's ``project_id``/``user_id``);
a resource the caller may not even show is answered 404, one it may see
but not change 403 (as Nova). ``POST /servers/{id}/action`` is declared
with :data:`SERVERS_ACTION`; the dispatcher checks each action's own rule.
"""

from iaas.policies import documented

ADMIN = 'rule:admin_required'
READER = 'rule:project_reader'
MEMBER = 'rule:project_member'
USER_OR_ADMIN = 'rule:admin_required or user_id:%(user_id)s'
ANY = '@'

P = '/v2.1'
S = P + '/servers/{server_id}'
ACTION = S + '/action'

RULES = []


def _rule(name, check, what, *ops):
    RULES.append(documented(name, check, what, ops))
    return name


# -- servers -----------------------------------------------------------------------
SERVERS_INDEX = _rule('os_compute_api:servers:index', READER, 'List servers.',
                      ('GET', P + '/servers'))
SERVERS_INDEX_ALL = _rule('os_compute_api:servers:index:get_all_tenants', ADMIN,
                          'List the servers of every project (all_tenants, tenant_id).',
                          ('GET', P + '/servers'))
SERVERS_DETAIL = _rule('os_compute_api:servers:detail', READER,
                       'List servers with details.', ('GET', P + '/servers/detail'))
SERVERS_DETAIL_ALL = _rule('os_compute_api:servers:detail:get_all_tenants', ADMIN,
                           'List the servers of every project with details.',
                           ('GET', P + '/servers/detail'))
SERVERS_ALL_FILTERS = _rule('os_compute_api:servers:allow_all_filters', ADMIN,
                            'Filter server lists by host, node, project_id, deleted.',
                            ('GET', P + '/servers'), ('GET', P + '/servers/detail'))
SERVERS_SHOW = _rule('os_compute_api:servers:show', READER,
                     'Show a server (also decides whether another project\'s server '
                     'exists for the caller: 404 when not).', ('GET', S))
SERVERS_CREATE = _rule('os_compute_api:servers:create', MEMBER, 'Create servers.',
                       ('POST', P + '/servers'))
SERVERS_FORCED_HOST = _rule('os_compute_api:servers:create:forced_host', ADMIN,
                            'Create a server on a given host (availability_zone '
                            '"zone:host").', ('POST', P + '/servers'))
SERVERS_UPDATE = _rule('os_compute_api:servers:update', MEMBER, 'Rename a server or '
                       'change its description.', ('PUT', S))
SERVERS_DELETE = _rule('os_compute_api:servers:delete', MEMBER, 'Delete a server.',
                       ('DELETE', S))
SERVERS_ACTION = _rule('os_compute_api:servers:action', MEMBER,
                       'Call POST /servers/{server_id}/action at all; each action then '
                       'checks its own rule on the server.', ('POST', ACTION))
EXTENDED_ATTRIBUTES = _rule('os_compute_api:os-extended-server-attributes', ADMIN,
                            'See a server\'s host, node, instance name, user data and '
                            'fault details.', ('GET', S), ('GET', P + '/servers/detail'))

# action name in the request body → rule
ACTION_RULES = {}
for _body, _name, _check, _what in (
        ('os-start', 'os_compute_api:servers:start', MEMBER, 'Start a server.'),
        ('os-stop', 'os_compute_api:servers:stop', MEMBER, 'Stop a server.'),
        ('reboot', 'os_compute_api:servers:reboot', MEMBER, 'Reboot a server.'),
        ('rebuild', 'os_compute_api:servers:rebuild', MEMBER, 'Rebuild a server.'),
        ('resize', 'os_compute_api:servers:resize', MEMBER, 'Resize a server.'),
        ('confirmResize', 'os_compute_api:servers:confirm_resize', MEMBER,
         'Confirm a resize.'),
        ('revertResize', 'os_compute_api:servers:revert_resize', MEMBER,
         'Revert a resize.'),
        ('createImage', 'os_compute_api:servers:create_image', MEMBER,
         'Snapshot a server into an image.'),
        ('pause', 'os_compute_api:os-pause-server:pause', MEMBER, 'Pause a server.'),
        ('unpause', 'os_compute_api:os-pause-server:unpause', MEMBER, 'Unpause a server.'),
        ('suspend', 'os_compute_api:os-suspend-server:suspend', MEMBER,
         'Suspend a server.'),
        ('resume', 'os_compute_api:os-suspend-server:resume', MEMBER, 'Resume a server.'),
        ('lock', 'os_compute_api:os-lock-server:lock', MEMBER, 'Lock a server.'),
        ('unlock', 'os_compute_api:os-lock-server:unlock', MEMBER, 'Unlock a server.'),
        ('os-getConsoleOutput', 'os_compute_api:os-console-output', MEMBER,
         'Read a server\'s console log.'),
        ('addSecurityGroup', 'os_compute_api:os-security-groups:add', MEMBER,
         'Add a security group to a server.'),
        ('removeSecurityGroup', 'os_compute_api:os-security-groups:remove', MEMBER,
         'Remove a security group from a server.'),
        ('createBackup', 'os_compute_api:os-create-backup', MEMBER,
         'Back a server up into an image, keeping the newest `rotation` backups.'),
        ('forceDelete', 'os_compute_api:os-deferred-delete:force', MEMBER,
         'Delete a server at once, whatever its state.'),
        ('restore', 'os_compute_api:os-deferred-delete:restore', MEMBER,
         'Restore a soft-deleted server.'),
        ('shelve', 'os_compute_api:os-shelve:shelve', MEMBER,
         'Shelve a server: power it off (snapshotting an image-backed one) and, '
         'after [DEFAULT] shelved_offload_time, free its host.'),
        ('shelveOffload', 'os_compute_api:os-shelve:shelve_offload', ADMIN,
         'Offload a shelved server now: destroy its guest and free its host.'),
        ('unshelve', 'os_compute_api:os-shelve:unshelve', MEMBER,
         'Unshelve a server (an offloaded one is scheduled again, in another '
         'availability zone from microversion 2.77).'),
        ('evacuate', 'os_compute_api:os-evacuate', ADMIN,
         'Evacuate a server of a dead (down) compute host: rebuild it on another '
         'host with the same id, ports and volumes.'),
        ('migrate', 'os_compute_api:os-migrate-server:migrate', ADMIN,
         'Cold-migrate a server to another host (to a given host from microversion '
         '2.56); confirmed or reverted as a resize.'),
        ('os-migrateLive', 'os_compute_api:os-migrate-server:migrate_live', ADMIN,
         'Live-migrate a running or paused server to another host (the '
         'scheduler\'s choice, or a given one).')):
    ACTION_RULES[_body] = _rule(_name, _check, _what, ('POST', f'{ACTION} ({_body})'))
REMOTE_CONSOLES = _rule('os_compute_api:os-remote-consoles', MEMBER,
                        'Get a URL of a server\'s serial console (a one-time token).',
                        ('POST', S + '/remote-consoles'),
                        ('POST', ACTION + ' (os-getSerialConsole)'))
ACTION_RULES['os-getSerialConsole'] = REMOTE_CONSOLES
CONSOLE_AUTH_TOKENS = _rule('os_compute_api:os-console-auth-tokens', ADMIN,
                            'Show what a console token opens (microversion 2.31 for '
                            'serial consoles).',
                            ('GET', P + '/os-console-auth-tokens/{console_token}'))
UNLOCK_OVERRIDE = _rule('os_compute_api:os-lock-server:unlock:unlock_override', ADMIN,
                        'Unlock a server locked by an administrator; act on any locked '
                        'server.', ('POST', ACTION + ' (unlock)'))

MIGRATIONS_INDEX = _rule('os_compute_api:os-migrations:index', ADMIN,
                         'List the migrations (evacuations, cold migrations, resizes) of '
                         'every server.', ('GET', P + '/os-migrations'))
SERVER_MIGRATIONS_INDEX = _rule('os_compute_api:servers:migrations:index', ADMIN,
                                'List the migrations of a server.',
                                ('GET', S + '/migrations'))

UNSHELVE_TO_HOST = _rule('os_compute_api:os-shelve:unshelve_to_host', ADMIN,
                         'Unshelve an offloaded server onto a given host (microversion '
                         '2.91).', ('POST', ACTION + ' (unshelve)'))

MD = S + '/metadata'
METADATA_INDEX = _rule('os_compute_api:server-metadata:index', READER,
                       'List a server\'s metadata.', ('GET', MD))
METADATA_SHOW = _rule('os_compute_api:server-metadata:show', READER,
                      'Show a server\'s metadata item.', ('GET', MD + '/{key}'))
METADATA_CREATE = _rule('os_compute_api:server-metadata:create', MEMBER,
                        'Add metadata items to a server.', ('POST', MD))
METADATA_UPDATE_ALL = _rule('os_compute_api:server-metadata:update_all', MEMBER,
                            'Replace a server\'s metadata.', ('PUT', MD))
METADATA_UPDATE = _rule('os_compute_api:server-metadata:update', MEMBER,
                        'Set a server\'s metadata item.', ('PUT', MD + '/{key}'))
METADATA_DELETE = _rule('os_compute_api:server-metadata:delete', MEMBER,
                        'Delete a server\'s metadata item.', ('DELETE', MD + '/{key}'))

IPS_INDEX = _rule('os_compute_api:ips:index', READER, 'List a server\'s addresses.',
                  ('GET', S + '/ips'))
IPS_SHOW = _rule('os_compute_api:ips:show', READER,
                 'List a server\'s addresses on one network.', ('GET', S + '/ips/{network}'))
PW = S + '/os-server-password'
PASSWORD_SHOW = _rule('os_compute_api:os-server-password:show', READER,
                      'Show the encrypted password a server left.', ('GET', PW))
PASSWORD_CLEAR = _rule('os_compute_api:os-server-password:clear', MEMBER,
                       'Forget the encrypted password a server left.', ('DELETE', PW))

T = S + '/tags'
TAGS_INDEX = _rule('os_compute_api:os-server-tags:index', READER, 'List a server\'s tags.',
                   ('GET', T))
TAGS_SHOW = _rule('os_compute_api:os-server-tags:show', READER,
                  'Check that a server has a tag.', ('GET', T + '/{tag}'))
TAGS_UPDATE = _rule('os_compute_api:os-server-tags:update', MEMBER, 'Add a tag to a server.',
                    ('PUT', T + '/{tag}'))
TAGS_UPDATE_ALL = _rule('os_compute_api:os-server-tags:update_all', MEMBER,
                        'Replace a server\'s tags.', ('PUT', T))
TAGS_DELETE = _rule('os_compute_api:os-server-tags:delete', MEMBER,
                    'Remove a tag from a server.', ('DELETE', T + '/{tag}'))
TAGS_DELETE_ALL = _rule('os_compute_api:os-server-tags:delete_all', MEMBER,
                        'Remove every tag of a server.', ('DELETE', T))

IA = S + '/os-instance-actions'
ACTIONS_LIST = _rule('os_compute_api:os-instance-actions:list', READER,
                     'List a server\'s actions.', ('GET', IA))
ACTIONS_SHOW = _rule('os_compute_api:os-instance-actions:show', READER,
                     'Show a server\'s action.', ('GET', IA + '/{request_id}'))
ACTIONS_EVENT_DETAILS = _rule('os_compute_api:os-instance-actions:events:details', ADMIN,
                              'See the host and traceback of an action\'s events.',
                              ('GET', IA + '/{request_id}'))

# -- flavors -------------------------------------------------------------------------
F = P + '/flavors/{flavor_id}'
FLAVORS_INDEX = _rule('os_compute_api:flavors:index', ANY, 'List flavors.',
                      ('GET', P + '/flavors'), ('GET', P + '/flavors/detail'))
FLAVORS_SHOW = _rule('os_compute_api:flavors:show', ANY, 'Show a flavor.', ('GET', F))
FLAVOR_ACCESS = _rule('os_compute_api:os-flavor-access', ADMIN,
                      'See every flavor (private ones too) and a flavor\'s access list.',
                      ('GET', P + '/flavors'), ('GET', F + '/os-flavor-access'))
FLAVOR_ACCESS_ADD = _rule('os_compute_api:os-flavor-access:add_tenant_access', ADMIN,
                          'Give a project access to a private flavor.',
                          ('POST', F + '/action (addTenantAccess)'))
FLAVOR_ACCESS_REMOVE = _rule('os_compute_api:os-flavor-access:remove_tenant_access', ADMIN,
                             'Take a project\'s access to a private flavor away.',
                             ('POST', F + '/action (removeTenantAccess)'))
FLAVOR_ACTION = _rule('os_compute_api:os-flavor-manage:action', ADMIN,
                      'Call POST /flavors/{flavor_id}/action at all; each action then '
                      'checks its own rule.', ('POST', F + '/action'))
FLAVOR_CREATE = _rule('os_compute_api:os-flavor-manage:create', ADMIN, 'Create a flavor.',
                      ('POST', P + '/flavors'))
FLAVOR_UPDATE = _rule('os_compute_api:os-flavor-manage:update', ADMIN,
                      'Update a flavor\'s description.', ('PUT', F))
FLAVOR_DELETE = _rule('os_compute_api:os-flavor-manage:delete', ADMIN, 'Delete a flavor.',
                      ('DELETE', F))
ES = F + '/os-extra_specs'
EXTRA_SPECS_INDEX = _rule('os_compute_api:os-flavor-extra-specs:index', READER,
                          'List a flavor\'s extra specs.', ('GET', ES))
EXTRA_SPECS_SHOW = _rule('os_compute_api:os-flavor-extra-specs:show', READER,
                         'Show a flavor\'s extra spec.', ('GET', ES + '/{key}'))
EXTRA_SPECS_CREATE = _rule('os_compute_api:os-flavor-extra-specs:create', ADMIN,
                           'Add extra specs to a flavor.', ('POST', ES))
EXTRA_SPECS_UPDATE = _rule('os_compute_api:os-flavor-extra-specs:update', ADMIN,
                           'Set a flavor\'s extra spec.', ('PUT', ES + '/{key}'))
EXTRA_SPECS_DELETE = _rule('os_compute_api:os-flavor-extra-specs:delete', ADMIN,
                           'Delete a flavor\'s extra spec.', ('DELETE', ES + '/{key}'))

# -- key pairs (owned by a user; target: the key pair's user) -------------------------
K = P + '/os-keypairs'
KEYPAIRS_INDEX = _rule('os_compute_api:os-keypairs:index', USER_OR_ADMIN,
                       'List a user\'s key pairs (another user\'s: ?user_id=).', ('GET', K))
KEYPAIRS_CREATE = _rule('os_compute_api:os-keypairs:create', USER_OR_ADMIN,
                        'Create or import a key pair (for another user: user_id).',
                        ('POST', K))
KEYPAIRS_SHOW = _rule('os_compute_api:os-keypairs:show', USER_OR_ADMIN,
                      'Show a key pair.', ('GET', K + '/{name}'))
KEYPAIRS_DELETE = _rule('os_compute_api:os-keypairs:delete', USER_OR_ADMIN,
                        'Delete a key pair.', ('DELETE', K + '/{name}'))

# -- quotas and limits -----------------------------------------------------------------
Q = P + '/os-quota-sets/{project_id}'
LIMITS = _rule('os_compute_api:limits', READER, 'Show the caller\'s absolute limits.',
               ('GET', P + '/limits'))
LIMITS_OTHER = _rule('os_compute_api:limits:other_project', ADMIN,
                     'Show another project\'s limits (?tenant_id=).', ('GET', P + '/limits'))
QUOTA_SHOW = _rule('os_compute_api:os-quota-sets:show', READER, 'Show a project\'s quotas.',
                   ('GET', Q))
QUOTA_DETAIL = _rule('os_compute_api:os-quota-sets:detail', READER,
                     'Show a project\'s quotas and usage.', ('GET', Q + '/detail'))
QUOTA_DEFAULTS = _rule('os_compute_api:os-quota-sets:defaults', ANY,
                       'Show the default quotas.', ('GET', Q + '/defaults'))
QUOTA_UPDATE = _rule('os_compute_api:os-quota-sets:update', ADMIN,
                     'Set a project\'s quotas.', ('PUT', Q))
QUOTA_DELETE = _rule('os_compute_api:os-quota-sets:delete', ADMIN,
                     'Reset a project\'s quotas to the defaults.', ('DELETE', Q))

# -- networks (Nova's proxy of the network service, 2.1-2.35) -----------------------------
NETWORKS_LIST = _rule('os_compute_api:os-networks:list', READER,
                      'List the networks the project may use (id and label).',
                      ('GET', P + '/os-networks'))
NETWORKS_SHOW = _rule('os_compute_api:os-networks:show', READER,
                      'Show a network the project may use (id and label).',
                      ('GET', P + '/os-networks/{network_id}'))

# -- hosts ---------------------------------------------------------------------------------
AZ_LIST = _rule('os_compute_api:os-availability-zone:list', READER,
                'List availability zones.', ('GET', P + '/os-availability-zone'))
AZ_DETAIL = _rule('os_compute_api:os-availability-zone:detail', ADMIN,
                  'List availability zones with their hosts and services.',
                  ('GET', P + '/os-availability-zone/detail'))
SERVICES_LIST = _rule('os_compute_api:os-services:list', ADMIN, 'List services.',
                      ('GET', P + '/os-services'))
SERVICES_UPDATE = _rule('os_compute_api:os-services:update', ADMIN,
                        'Enable, disable or force down a service.',
                        ('PUT', P + '/os-services/{service_id}'))
SERVICES_DELETE = _rule('os_compute_api:os-services:delete', ADMIN, 'Delete a service.',
                        ('DELETE', P + '/os-services/{service_id}'))
H = P + '/os-hypervisors'
HYPERVISORS_LIST = _rule('os_compute_api:os-hypervisors:list', ADMIN, 'List hypervisors.',
                         ('GET', H))
HYPERVISORS_DETAIL = _rule('os_compute_api:os-hypervisors:list-detail', ADMIN,
                           'List hypervisors with details.', ('GET', H + '/detail'))
HYPERVISORS_STATISTICS = _rule('os_compute_api:os-hypervisors:statistics', ADMIN,
                               'Hypervisor statistics.', ('GET', H + '/statistics'))
HYPERVISORS_SHOW = _rule('os_compute_api:os-hypervisors:show', ADMIN, 'Show a hypervisor.',
                         ('GET', H + '/{hypervisor_id}'))
HYPERVISORS_SERVERS = _rule('os_compute_api:os-hypervisors:servers', ADMIN,
                            'List the servers of a hypervisor.',
                            ('GET', H + '/{hypervisor_id}/servers'))

# -- server groups and usage ---------------------------------------------------------------
G = P + '/os-server-groups'
GROUPS_INDEX = _rule('os_compute_api:os-server-groups:index', READER,
                     'List server groups.', ('GET', G))
GROUPS_INDEX_ALL = _rule('os_compute_api:os-server-groups:index:all_projects', ADMIN,
                         'List the server groups of every project.', ('GET', G))
GROUPS_CREATE = _rule('os_compute_api:os-server-groups:create', MEMBER,
                      'Create a server group.', ('POST', G))
GROUPS_SHOW = _rule('os_compute_api:os-server-groups:show', READER,
                    'Show a server group.', ('GET', G + '/{group_id}'))
GROUPS_DELETE = _rule('os_compute_api:os-server-groups:delete', MEMBER,
                      'Delete a server group.', ('DELETE', G + '/{group_id}'))
U = P + '/os-simple-tenant-usage'
USAGE_LIST = _rule('os_compute_api:os-simple-tenant-usage:list', ADMIN,
                   'Usage of every project.', ('GET', U))
USAGE_SHOW = _rule('os_compute_api:os-simple-tenant-usage:show', READER,
                   'Usage of a project.', ('GET', U + '/{project_id}'))


# -- volume attachments ------------------------------------------------------------
VA = S + '/os-volume_attachments'
VOLUME_ATTACH_INDEX = _rule('os_compute_api:os-volumes-attachments:index', READER,
                            'List the volumes attached to a server.', ('GET', VA))
VOLUME_ATTACH_SHOW = _rule('os_compute_api:os-volumes-attachments:show', READER,
                           'Show a volume attachment.', ('GET', VA + '/{volume_id}'))
VOLUME_ATTACH_CREATE = _rule('os_compute_api:os-volumes-attachments:create', MEMBER,
                             'Attach a volume to a server.', ('POST', VA))
VOLUME_ATTACH_UPDATE = _rule('os_compute_api:os-volumes-attachments:update', MEMBER,
                             'Change an attachment\'s delete_on_termination.',
                             ('PUT', VA + '/{volume_id}'))
VOLUME_ATTACH_DELETE = _rule('os_compute_api:os-volumes-attachments:delete', MEMBER,
                             'Detach a volume from a server.', ('DELETE', VA + '/{volume_id}'))


def list_rules():
    return list(RULES)
