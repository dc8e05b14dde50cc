"""The Compute API v2.1 application: routes, auth, microversions, faults."""
from iaas import rpc, wsgi
from iaas.api import auth, openapi
from iaas.api.compute import (
    flavors,
    hosts,
    keypairs,
    microversion,
    migrations,
    networks,
    quotas,
    remote_consoles,
    server_actions,
    server_groups,
    server_info,
    server_tags,
    servers,
    usage,
    versions,
    volume_attachments,
)
from iaas.conf import CONF


def map_exception(exc):
    if isinstance(exc, rpc.RPCTimeout):
        return wsgi.Fault('The compute host did not answer in time.', code=503)
    return None


def build_app():
    r = wsgi.Router(fault_formatter=wsgi.nova_fault,
                    max_body=CONF.api.max_request_body_size,
                    request_id_headers=('X-OpenStack-Request-ID', 'X-Compute-Request-ID'),
                    authorizer=auth.authorize)
    r.middleware.append(microversion.middleware)
    r.exception_mappers.append(map_exception)
    add = r.add
    p = '/v2.1'
    add('GET', '/', versions.root)
    add('GET', p, versions.v21)
    add('GET', f'{p}/servers', servers.index)
    add('POST', f'{p}/servers', servers.create)
    add('GET', f'{p}/servers/detail', servers.detail)
    add('GET', f'{p}/servers/{{server_id}}', servers.show)
    add('PUT', f'{p}/servers/{{server_id}}', servers.update)
    add('DELETE', f'{p}/servers/{{server_id}}', servers.delete)
    add('POST', f'{p}/servers/{{server_id}}/action', server_actions.action)
    add('GET', f'{p}/servers/{{server_id}}/metadata', servers.metadata_index)
    add('POST', f'{p}/servers/{{server_id}}/metadata', servers.metadata_update)
    add('PUT', f'{p}/servers/{{server_id}}/metadata', servers.metadata_replace)
    add('GET', f'{p}/servers/{{server_id}}/metadata/{{key}}', servers.metadata_show)
    add('PUT', f'{p}/servers/{{server_id}}/metadata/{{key}}', servers.metadata_put)
    add('DELETE', f'{p}/servers/{{server_id}}/metadata/{{key}}', servers.metadata_delete)
    add('GET', f'{p}/servers/{{server_id}}/ips', server_info.ips_index)
    add('GET', f'{p}/servers/{{server_id}}/ips/{{network}}', server_info.ips_show)
    add('GET', f'{p}/servers/{{server_id}}/os-server-password', server_info.password_show)
    add('DELETE', f'{p}/servers/{{server_id}}/os-server-password',
        server_info.password_clear)
    add('GET', f'{p}/servers/{{server_id}}/tags', server_tags.index)
    add('PUT', f'{p}/servers/{{server_id}}/tags', server_tags.update_all)
    add('DELETE', f'{p}/servers/{{server_id}}/tags', server_tags.delete_all)
    add('GET', f'{p}/servers/{{server_id}}/tags/{{tag}}', server_tags.show)
    add('PUT', f'{p}/servers/{{server_id}}/tags/{{tag}}', server_tags.update)
    add('DELETE', f'{p}/servers/{{server_id}}/tags/{{tag}}', server_tags.delete)
    va = f'{p}/servers/{{server_id}}/os-volume_attachments'
    add('GET', va, volume_attachments.index)
    add('POST', va, volume_attachments.create)
    add('GET', f'{va}/{{volume_id}}', volume_attachments.show)
    add('PUT', f'{va}/{{volume_id}}', volume_attachments.update)
    add('DELETE', f'{va}/{{volume_id}}', volume_attachments.delete)
    add('POST', f'{p}/servers/{{server_id}}/remote-consoles', remote_consoles.create)
    add('GET', f'{p}/os-console-auth-tokens/{{console_token}}',
        remote_consoles.auth_token_show)
    add('GET', f'{p}/servers/{{server_id}}/migrations', migrations.server_index)
    add('GET', f'{p}/os-migrations', migrations.index)
    add('GET', f'{p}/servers/{{server_id}}/os-instance-actions', servers.actions_index)
    add('GET', f'{p}/servers/{{server_id}}/os-instance-actions/{{request_id}}',
        servers.actions_show)
    add('GET', f'{p}/flavors', flavors.index)
    add('POST', f'{p}/flavors', flavors.create)
    add('GET', f'{p}/flavors/detail', flavors.detail)
    add('GET', f'{p}/flavors/{{flavor_id}}', flavors.show)
    add('PUT', f'{p}/flavors/{{flavor_id}}', flavors.update)
    add('DELETE', f'{p}/flavors/{{flavor_id}}', flavors.delete)
    add('POST', f'{p}/flavors/{{flavor_id}}/action', flavors.action)
    add('GET', f'{p}/flavors/{{flavor_id}}/os-flavor-access', flavors.access_index)
    add('GET', f'{p}/flavors/{{flavor_id}}/os-extra_specs', flavors.extra_specs_index)
    add('POST', f'{p}/flavors/{{flavor_id}}/os-extra_specs', flavors.extra_specs_create)
    add('GET', f'{p}/flavors/{{flavor_id}}/os-extra_specs/{{key}}', flavors.extra_spec_show)
    add('PUT', f'{p}/flavors/{{flavor_id}}/os-extra_specs/{{key}}', flavors.extra_spec_update)
    add('DELETE', f'{p}/flavors/{{flavor_id}}/os-extra_specs/{{key}}',
        flavors.extra_spec_delete)
    add('GET', f'{p}/os-keypairs', keypairs.index)
    add('POST', f'{p}/os-keypairs', keypairs.create)
    add('GET', f'{p}/os-keypairs/{{name}}', keypairs.show)
    add('DELETE', f'{p}/os-keypairs/{{name}}', keypairs.delete)
    add('GET', f'{p}/limits', quotas.limits)
    add('GET', f'{p}/os-quota-sets/{{project_id}}', quotas.show)
    add('PUT', f'{p}/os-quota-sets/{{project_id}}', quotas.update)
    add('DELETE', f'{p}/os-quota-sets/{{project_id}}', quotas.delete)
    add('GET', f'{p}/os-quota-sets/{{project_id}}/detail', quotas.detail)
    add('GET', f'{p}/os-quota-sets/{{project_id}}/defaults', quotas.defaults)
    add('GET', f'{p}/os-networks', networks.index)
    add('GET', f'{p}/os-networks/{{network_id}}', networks.show)
    add('GET', f'{p}/os-availability-zone', hosts.az_index)
    add('GET', f'{p}/os-availability-zone/detail', hosts.az_detail)
    add('GET', f'{p}/os-services', hosts.services_index)
    add('PUT', f'{p}/os-services/{{service_id}}', hosts.services_update)
    add('DELETE', f'{p}/os-services/{{service_id}}', hosts.services_delete)
    add('GET', f'{p}/os-hypervisors', hosts.hypervisors_index)
    add('GET', f'{p}/os-hypervisors/detail', hosts.hypervisors_detail)
    add('GET', f'{p}/os-hypervisors/statistics', hosts.hypervisor_statistics)
    add('GET', f'{p}/os-hypervisors/{{hypervisor_id}}', hosts.hypervisor_show)
    add('GET', f'{p}/os-hypervisors/{{hypervisor_id}}/servers', hosts.hypervisor_servers)
    add('GET', f'{p}/os-server-groups', server_groups.index)
    add('POST', f'{p}/os-server-groups', server_groups.create)
    add('GET', f'{p}/os-server-groups/{{group_id}}', server_groups.show)
    add('DELETE', f'{p}/os-server-groups/{{group_id}}', server_groups.delete)
    add('GET', f'{p}/os-simple-tenant-usage', usage.index)
    add('GET', f'{p}/os-simple-tenant-usage/{{project_id}}', usage.show)
    openapi.install(r, 'iaas Compute API (Nova v2.1)', '2.1')
    return r
