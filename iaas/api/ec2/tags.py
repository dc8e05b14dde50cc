"""CreateTags, DeleteTags, DescribeTags, and what the create actions use
for their ``TagSpecification.N`` and the Describe calls for ``tagSet``
and ``tag:`` filters."""
from iaas.api.ec2 import common, errors, resources
from iaas.api.ec2 import policies as EP
from iaas.api.ec2.actions import action
from iaas.ec2 import ids
from iaas.ec2 import tags as store
from iaas.identity import policy

MAX_TAGS = store.MAX_PER_RESOURCE


def _checked(pairs, what='Tag'):
    out = {}
    for key, value in pairs:
        if key.lower().startswith('aws:'):
            raise errors.invalid(f"{what} keys starting with 'aws:' are reserved for "
                                 'internal use')
        out[key] = value
    if len(out) > MAX_TAGS:
        raise errors.EC2Error('TagLimitExceeded', f'The maximum number of tags per '
                              f'resource is {MAX_TAGS}.')
    return out


def specs(p, resource_type):
    """{key: value} of the ``TagSpecification.N`` naming ``resource_type``;
    a specification of a type the action does not create is refused."""
    out = []
    for spec in p.structs('TagSpecification'):
        rtype = spec.str('ResourceType', required=True, max_len=64)
        if rtype != resource_type:
            raise errors.invalid(f"'{rtype}' is not a valid taggable resource type for "
                                 'this operation.')
        out += spec.tags()
    return _checked(out)


def specs_of(p, resource_types):
    """{resource type: {key: value}} of ``TagSpecification.N`` for an
    action that creates resources of several types (RunInstances: the
    instances and their volumes)."""
    out = {}
    for spec in p.structs('TagSpecification'):
        rtype = spec.str('ResourceType', required=True, max_len=64)
        if rtype not in resource_types:
            raise errors.invalid(f"'{rtype}' is not a valid taggable resource type for "
                                 'this operation.')
        out.setdefault(rtype, []).extend(spec.tags())
    return {rtype: _checked(pairs) for rtype, pairs in out.items()}


def apply(ctx, kind, uuids, tags):
    """Tag new resources (from ``specs``) under the tag rule."""
    if not tags:
        return
    if not policy.check(ctx, EP.TAGS_CREATE, {'project_id': ctx.project_id}):
        raise errors.unauthorized('You are not authorized to tag resources.')
    if not store.set_tags(ctx.project_id, kind, uuids, tags):
        raise errors.EC2Error('TagLimitExceeded', f'The maximum number of tags per resource '
                              f'is {MAX_TAGS}.')


def tag_sets(kind, uuids):
    """{uuid: {key: value}} (resources without tags absent)."""
    return store.tags_of(kind, uuids)


def view(tags):
    return [{'key': k, 'value': v} for k, v in sorted((tags or {}).items())]


forget = store.forget


@action('CreateTags', EP.TAGS_CREATE, write=True)
def create_tags(ctx, p):
    wanted = p.list('ResourceId', max_len=64)
    if not wanted:
        raise errors.missing('ResourceId')
    tags = _checked(p.tags())
    if not tags:
        raise errors.missing('Tag')
    for kind, found in resources.resolve(ctx, wanted).items():
        if not store.set_tags(ctx.project_id, kind, list(found.values()), tags):
            raise errors.EC2Error('TagLimitExceeded', f'The maximum number of tags per '
                                  f'resource is {MAX_TAGS}.')
    return {'return': True}


@action('DeleteTags', EP.TAGS_DELETE, write=True)
def delete_tags(ctx, p):
    wanted = p.list('ResourceId', max_len=64)
    if not wanted:
        raise errors.missing('ResourceId')
    pairs = []
    for t in p.structs('Tag'):
        key = t.str('Key', required=True, max_len=128)
        pairs.append((key, t.str('Value', max_len=256)))
    for kind, found in resources.resolve(ctx, wanted).items():
        store.delete_tags(kind, list(found.values()), pairs)
    return {'return': True}


@action('DescribeTags', EP.TAGS_DESCRIBE, write=False)
def describe_tags(ctx, p):
    f = p.filters({'key', 'value', 'resource-id', 'resource-type'})
    rows = store.project_tags(ctx.project_id)
    by_kind = {}
    for kind, uuid, _k, _v in rows:
        by_kind.setdefault(kind, set()).add(uuid)
    # tags of resources deleted through the other APIs are not shown
    live = {kind: resources.KINDS[kind].owned(ctx, list(uuids))
            for kind, uuids in by_kind.items() if kind in resources.KINDS}
    ec2 = {kind: ids.to_ec2(kind, uuids) for kind, uuids in live.items()}
    out = []
    for kind, uuid, key, value in rows:
        if uuid not in live.get(kind, ()):
            continue
        item = {'resourceId': ec2[kind][uuid],
                'resourceType': resources.KINDS[kind].resource_type, 'key': key,
                'value': value}
        if common.matches(f, {'key': key, 'value': value, 'resource-id': item['resourceId'],
                              'resource-type': item['resourceType']}):
            out.append(item)
    shown, token = common.page(p, out, key=lambda t: f"{t['resourceId']}\x00{t['key']}")
    return {'tagSet': shown, 'nextToken': token}
