"""Metadata-definition schemas and the v2.0 (draft 4) JSON-patch media type."""
import pytest

V20 = 'application/openstack-images-v2.0-json-patch'

NAMES = {'namespace': 'namespace', 'namespaces': 'namespaces', 'object': 'object',
         'objects': 'objects', 'property': 'property', 'properties': 'properties',
         'tag': 'tag', 'tags': 'tags', 'resource_type': 'resource_type_association',
         'resource_types': 'resource_type_associations'}


@pytest.mark.parametrize('path,name', sorted(NAMES.items()))
def test_metadef_schemas(client, path, name):
    r = client.get(f'/v2/schemas/metadefs/{path}')
    assert r.status_code == 200, r.text
    body = r.json()
    assert body['name'] == name
    assert isinstance(body['properties'], dict)


def test_metadef_schema_reader_and_unknown(image_server):
    from tests.functional.image.conftest import Client
    reader = Client(image_server, 'proj-r', roles='reader')
    assert reader.get('/v2/schemas/metadefs/namespace').status_code == 200
    assert reader.get('/v2/schemas/metadefs/nothing').status_code == 404


def test_metadef_namespace_schema_validates_a_namespace(client):
    import jsonschema
    schema = client.get('/v2/schemas/metadefs/namespace').json()
    jsonschema.validate({'namespace': 'OS::Compute::Quota', 'visibility': 'public',
                         'properties': {'quota:cpu_shares': {'title': 'CPU shares',
                                                             'type': 'integer'}}}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({'display_name': 'no namespace'}, schema)


def _patch20(client, iid, ops):
    return client.patch(f'/v2/images/{iid}', json=ops, headers={'Content-Type': V20})


def test_patch_draft4_operations(client):
    img = client.create(name='a', protected=True)
    iid = img['id']
    r = _patch20(client, iid, [{'replace': '/name', 'value': 'b'},
                               {'add': '/hw_disk_bus', 'value': 'virtio'}])
    assert r.status_code == 200, r.text
    assert r.json()['name'] == 'b' and r.json()['hw_disk_bus'] == 'virtio'
    r = _patch20(client, iid, [{'remove': '/hw_disk_bus'}])
    assert r.status_code == 200 and 'hw_disk_bus' not in r.json()
    # A protected image becomes deletable once unprotected this way.
    assert _patch20(client, iid, [{'replace': '/protected', 'value': False}]).status_code == 200
    assert client.delete(f'/v2/images/{iid}').status_code == 204


def test_patch_draft4_bad_operations(client):
    iid = client.create(name='a')['id']
    for ops in ([{'replace': '/name', 'add': '/x', 'value': 'b'}], [{'value': 'b'}],
                [{'move': '/name', 'value': 'b'}], ['replace']):
        r = _patch20(client, iid, ops)
        assert r.status_code == 400, (ops, r.text)
    assert client.get(f'/v2/images/{iid}').json()['name'] == 'a'


def test_image_tasks_are_none_and_hidden_images_404(image_server, client):
    from tests.functional.image.conftest import Client
    iid = client.create(name='t')['id']
    r = client.get(f'/v2/images/{iid}/tasks')
    assert r.status_code == 200 and r.json() == {'tasks': []}
    other = Client(image_server, 'proj-other')
    assert other.get(f'/v2/images/{iid}/tasks').status_code == 404
    assert client.get('/v2/images/00000000-0000-0000-0000-00000000dead/tasks').status_code == 404
