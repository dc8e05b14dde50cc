"""CreateKeyPair, ImportKeyPair, DescribeKeyPairs, DeleteKeyPair: the
caller's own key pairs (per user, as Nova keeps them), the same ones
``openstack keypair list`` shows."""
import re

from iaas.api.ec2 import common, errors, resources, tags
from iaas.api.ec2.actions import action
from iaas.compute import keypairs
from iaas.compute import policies as P
from iaas.ec2 import ids
from iaas.exception import InvalidKeyPair, KeyPairExists, KeyPairNotFound, QuotaExceeded

# EC2 allows ASCII up to 255 characters; Nova's own API is stricter on some
# characters, which the name shares with it.
NAME_RE = re.compile(r'^[A-Za-z0-9 _.:@,+=()/-]{1,255}$')


def _name(p):
    name = p.str('KeyName', required=True)
    if not NAME_RE.match(name):
        raise errors.invalid(f"Value ({name[:64]}) for parameter KeyName is invalid.")
    return name


def _owned(ctx, uuids):
    return {str(r['id']) for r in keypairs.list_(ctx.user_id)} & set(uuids)


resources.register('keypair', 'key-pair', 'InvalidKeyPair.NotFound', _owned)


def _create(ctx, name, public, private=None, kind='ssh', tag_specs=None):
    try:
        fp = keypairs.validate_public_key(public)
        row = keypairs.create(ctx.user_id, name, public, fp, kind, project_id=ctx.project_id)
    except InvalidKeyPair:
        raise errors.EC2Error('InvalidKey.Format', 'Key is not in valid OpenSSH public key '
                              'format') from None
    except KeyPairExists:
        raise errors.EC2Error('InvalidKeyPair.Duplicate',
                              f"The keypair '{name}' already exists.") from None
    except QuotaExceeded:
        raise errors.EC2Error('ResourceLimitExceeded', 'Maximum number of key pairs '
                              'reached.') from None
    tags.apply(ctx, 'keypair', [str(row['id'])], tag_specs)
    out = {'keyName': row['name'], 'keyFingerprint': row['fingerprint'],
           'keyPairId': ids.one('keypair', str(row['id'])), 'tagSet': tags.view(tag_specs)}
    if private is not None:
        out['keyMaterial'] = private
    return out


@action('CreateKeyPair', P.KEYPAIRS_CREATE, write=True)
def create_key_pair(ctx, p):
    name = _name(p)
    kind = p.str('KeyType', default='rsa', choices=('rsa', 'ed25519'))
    p.str('KeyFormat', default='pem', choices=('pem', 'ppk'))
    tag_specs = tags.specs(p, 'key-pair')
    private, public = keypairs.generate(kind)
    return _create(ctx, name, public, private, tag_specs=tag_specs)


@action('ImportKeyPair', P.KEYPAIRS_CREATE, write=True)
def import_key_pair(ctx, p):
    name = _name(p)
    material = p.base64('PublicKeyMaterial', max_bytes=16 * 1024)
    if material is None:
        raise errors.missing('PublicKeyMaterial')
    try:
        public = material.decode('ascii').strip()
    except UnicodeDecodeError:
        raise errors.EC2Error('InvalidKey.Format', 'Key is not in valid OpenSSH public '
                              'key format') from None
    return _create(ctx, name, public, tag_specs=tags.specs(p, 'key-pair'))


@action('DescribeKeyPairs', P.KEYPAIRS_INDEX, write=False)
def describe_key_pairs(ctx, p):
    f = p.filters({'key-name', 'fingerprint', 'key-pair-id', 'key-type', 'tag:*',
                   'tag-key', 'tag-value'})
    names, wanted_ids = p.list('KeyName'), p.list('KeyPairId')
    rows = keypairs.list_(ctx.user_id)
    by_row = ids.to_ec2('keypair', [str(r['id']) for r in rows])
    tag_sets = tags.tag_sets('keypair', [str(r['id']) for r in rows])
    out = []
    for r in rows:
        kid = by_row[str(r['id'])]
        kind = 'ed25519' if r['public_key'].startswith('ssh-ed25519') else 'rsa'
        tagged = tag_sets.get(str(r['id']), {})
        fields = {'key-name': r['name'], 'fingerprint': r['fingerprint'],
                  'key-pair-id': kid, 'key-type': kind, **common.tag_fields(tagged)}
        if (names and r['name'] not in names) or (wanted_ids and kid not in wanted_ids):
            continue
        if common.matches(f, fields):
            out.append({'keyPairId': kid, 'keyName': r['name'],
                        'keyFingerprint': r['fingerprint'], 'keyType': kind,
                        'createTime': r.get('created_at'), 'tagSet': tags.view(tagged)})
    missing = [n for n in names if n not in {k['keyName'] for k in out}]
    if missing and not f:
        raise errors.not_found('InvalidKeyPair.NotFound', missing)
    missing = [i for i in wanted_ids if i not in {k['keyPairId'] for k in out}]
    if missing and not f:
        raise errors.not_found('InvalidKeyPair.NotFound', missing)
    return {'keySet': out}


@action('DeleteKeyPair', P.KEYPAIRS_DELETE, write=True)
def delete_key_pair(ctx, p):
    name = p.str('KeyName')
    kid = p.str('KeyPairId', max_len=64)
    if name is None and kid is None:
        raise errors.missing('KeyName')
    if name is None:
        rows = keypairs.list_(ctx.user_id)
        by_row = ids.to_ec2('keypair', [str(r['id']) for r in rows])
        name = next((r['name'] for r in rows if by_row[str(r['id'])] == kid), None)
        if name is None:
            raise errors.not_found('InvalidKeyPair.NotFound', kid)
    try:
        row = keypairs.get(ctx.user_id, name)
        keypairs.delete(ctx.user_id, name)
        tags.forget('keypair', [str(row['id'])])
    except KeyPairNotFound:
        pass                # EC2 answers true for a key pair that is not there
    return {'return': True}
