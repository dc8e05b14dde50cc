"""Credentials (EC2 access/secret pairs and opaque blobs), encrypted at rest."""
import json
import secrets

from iaas.conf import CONF
from iaas.db import identity as db
from iaas.identity import cache, fernet

_repo = None


def _keys():
    global _repo
    path = CONF.identity.credential_key_repository
    if _repo is None or _repo.path != path:
        # One key is enough: credentials are not short-lived like tokens.
        _repo = fernet.KeyRepository(path, max_active_keys=2)
    return _repo


def encrypt_blob(blob: str) -> str:
    return _keys().encrypt(blob.encode()).decode()


def decrypt_blob(enc: str) -> str:
    return _keys().decrypt(enc.encode()).decode()


def _db():
    return db


def list_(user_id=None, type=None, limit=None):
    """Credential rows (blobs still encrypted: see :func:`to_dict`)."""
    return db.credential_list(user_id=user_id, type=type, limit=limit)


def get(credential_id):
    """The credential as the API shows it; ``IdentityNotFound``."""
    return to_dict(db.credential_get(credential_id))


def ec2_of_user(user_id, limit=None):
    """The user's EC2 credentials: [{access, secret, project_id, id}]."""
    out = []
    for r in db.credential_list(user_id=user_id, type='ec2', limit=limit):
        blob = json.loads(decrypt_blob(r['encrypted_blob']))
        out.append({'access': r['access'], 'secret': blob['secret'],
                    'project_id': r['project_id'], 'id': r['id']})
    return out


def to_dict(row):
    """A credential row as the API shows it (blob decrypted)."""
    return {'id': row['id'], 'user_id': row['user_id'], 'project_id': row['project_id'],
            'type': row['type'], 'blob': decrypt_blob(row['encrypted_blob'])}


def create(user_id, type, blob, project_id=None):
    access = None
    if type == 'ec2':
        try:
            parsed = json.loads(blob)
            access = parsed['access']
            if not isinstance(access, str) or not isinstance(parsed.get('secret'), str):
                raise ValueError
        except (ValueError, KeyError, TypeError):
            raise ValueError('an ec2 credential blob must be JSON with string '
                             '"access" and "secret"') from None
    row = _db().credential_create(user_id, type, encrypt_blob(blob), project_id=project_id,
                                  access=access)
    cache.ec2.clear()
    cache.ec2_state.clear()
    return to_dict(row)


def create_ec2(user_id, project_id):
    access, secret = secrets.token_hex(16), secrets.token_hex(16)
    blob = json.dumps({'access': access, 'secret': secret, 'trust_id': None})
    create(user_id, 'ec2', blob, project_id=project_id)
    return ec2_dict(access, secret, user_id, project_id)


def ec2_dict(access, secret, user_id, project_id):
    return {'access': access, 'secret': secret, 'user_id': user_id,
            'project_id': project_id, 'tenant_id': project_id, 'trust_id': None}


def get_ec2_row(access):
    """The EC2 credential with this access key from the database (not
    cached), with its id; None when there is none."""
    if not access or not isinstance(access, str) or len(access) > 64:
        return None
    try:
        row = _db().credential_get_by_access(access)
    except LookupError:
        return None
    if row['type'] != 'ec2':
        return None
    blob = json.loads(decrypt_blob(row['encrypted_blob']))
    return {**ec2_dict(access, blob['secret'], row['user_id'], row['project_id']),
            'id': row['id']}


def get_ec2(access):
    """The EC2 credential with this access key, or None (cached)."""
    def load():
        row = get_ec2_row(access)
        if row is None or row['project_id'] is None:
            # A credential without a project cannot scope an S3/EC2 request
            # (older rows; new ones always name one).
            return None
        return ec2_dict(access, row['secret'], row['user_id'], row['project_id'])
    if not access or not isinstance(access, str) or len(access) > 64:
        return None
    return cache.ec2.get_or_load(access, load)


def delete(credential_id):
    _db().credential_delete(credential_id)
    cache.ec2.clear()
    cache.ec2_state.clear()
