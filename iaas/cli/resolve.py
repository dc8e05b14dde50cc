"""Name-or-ID lookup like openstackclient: try the reference as an ID, then
list by name; none → "No … with a name or ID of …", several → ambiguous."""
from urllib.parse import quote

from iaas.cli.errors import APIError, CLIError


def _one(kind, ref, matches):
    if not matches:
        raise CLIError(f'No {kind} with a name or ID of {ref!r} exists.')
    if len(matches) > 1:
        ids = ', '.join(str(m.get('id')) for m in matches)
        raise CLIError(f'More than one {kind} exists with the name {ref!r} ({ids}); '
                       f'use the ID.')
    return matches[0]


def _by_id(svc, path, key):
    try:
        body = svc.get(path).json()
    except APIError as exc:
        if exc.status in (400, 404):
            return None
        raise
    return body.get(key) if key else body


def nova_pages(compute, path, key, params=None, limit=None):
    """Every item of a Nova list (at most ``limit``), following
    ``<key>_links`` rel=next."""
    url, seen, count = path, set(), 0
    while url and url not in seen:
        seen.add(url)
        body = compute.get(url, params=params).json()
        items = body.get(key) or []
        for item in items:
            if limit is not None and count >= limit:
                return
            count += 1
            yield item
        params = None
        url = next((link.get('href') for link in body.get(f'{key}_links') or []
                    if link.get('rel') == 'next'), None)
        if not items:
            break


def glance_pages(image, params=None):
    """Every image of a Glance list, following ``next``."""
    root = image.base[:-len('/v2')]
    url, seen = '/images', set()
    while url and url not in seen:
        seen.add(url)
        body = image.get(url, params=params).json()
        items = body.get('images') or []
        yield from items
        params = None
        nxt = body.get('next')
        url = (nxt if nxt.startswith('http') else root + nxt) if nxt else None
        if not items:
            break


def server(compute, ref):
    found = _by_id(compute, f'/servers/{quote(ref, safe="")}', 'server')
    if found:
        return found
    try:
        listed = list(nova_pages(compute, '/servers/detail', 'servers', {'name': ref}))
    except APIError as exc:
        if exc.status != 400:    # e.g. a name that is not a valid regex
            raise
        listed = list(nova_pages(compute, '/servers/detail', 'servers'))
    return _one('server', ref, [s for s in listed if s.get('name') == ref])


def flavor(compute, ref):
    found = _by_id(compute, f'/flavors/{quote(ref, safe="")}', 'flavor')
    if found:
        return found
    listed = list(nova_pages(compute, '/flavors/detail', 'flavors'))
    return _one('flavor', ref, [f for f in listed if f.get('name') == ref])


def image(image_svc, ref):
    found = _by_id(image_svc, f'/images/{quote(ref, safe="")}', None)
    if found:
        return found
    listed = list(glance_pages(image_svc, {'name': ref}))
    return _one('image', ref, [i for i in listed if i.get('name') == ref])


def network(network_svc, ref):
    found = _by_id(network_svc, f'/networks/{quote(ref, safe="")}', 'network')
    if found:
        return found
    listed = network_svc.get('/networks', params={'name': ref}).json().get('networks') or []
    return _one('network', ref, [n for n in listed if n.get('name') == ref])


def keypair(compute, name):
    return compute.get(f'/os-keypairs/{quote(name, safe="")}').json()['keypair']
