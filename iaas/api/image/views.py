"""Image and member records as the Glance v2 API shows them."""
from iaas.wsgi import isotime


def image_view(image):
    iid = image['id']
    out = {
        'id': iid,
        'name': image['name'],
        'status': image['status'],
        'visibility': image['visibility'],
        'protected': bool(image['protected']),
        'os_hidden': bool(image['os_hidden']),
        'disk_format': image['disk_format'],
        'container_format': image['container_format'],
        'min_disk': image['min_disk'],
        'min_ram': image['min_ram'],
        'size': image['size'],
        'virtual_size': image['virtual_size'],
        'checksum': image['checksum'],
        'os_hash_algo': image['os_hash_algo'],
        'os_hash_value': image['os_hash_value'],
        'owner': image['owner'],
        'tags': list(image.get('tags', [])),
        'created_at': isotime(image['created_at']),
        'updated_at': isotime(image['updated_at'] or image['created_at']),
        'self': f'/v2/images/{iid}',
        'file': f'/v2/images/{iid}/file',
        'schema': '/v2/schemas/image',
    }
    for k, v in image.get('properties', {}).items():
        out.setdefault(k, v)
    locs = image.get('locations') or []
    if locs:
        out['stores'] = ','.join(dict.fromkeys(loc['store'] for loc in locs))
    return out


def member_view(member):
    return {
        'created_at': isotime(member['created_at']),
        'updated_at': isotime(member['updated_at']),
        'image_id': member['image_id'],
        'member_id': member['member_id'],
        'status': member['status'],
        'schema': '/v2/schemas/member',
    }
