"""RunInstances idempotency (EC2's ClientToken): the request that makes the
instances records its token with them, in the one transaction that
inserts them (a unique row per project and token); a later request with
the same token and the same parameters gets those instances back, one
with other parameters ``IdempotentParameterMismatch``. One indexed
lookup, however many instances the project has, and nothing written
beyond the instances' own transaction."""
import hashlib
import json

from iaas.db import ec2_tokens as db

# parameters that do not describe the instances (auth, signing, the token)
_IGNORED = frozenset({'ClientToken', 'Action', 'Version', 'DryRun', 'AWSAccessKeyId',
                      'Signature', 'SignatureMethod', 'SignatureVersion', 'Timestamp',
                      'Expires', 'SecurityToken'})

# a concurrent request with the token made its instances first
Taken = db.Taken


class Mismatch(Exception):
    """The token was used with other parameters."""


class InProgress(Exception):
    """The token was claimed by an older release, which records the
    instances apart, and has no instances yet."""


def _canon(tree):
    if isinstance(tree, dict):
        return {str(k): _canon(v) for k, v in tree.items()}
    return tree


def digest(tree):
    """SHA-256 of the request's parameters that describe the instances."""
    body = {str(k): _canon(v) for k, v in tree.items()
            if str(k) not in _IGNORED and not str(k).startswith('X-Amz-')}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def earlier(project_id, token, params_digest):
    """The uuids of the instances an earlier request with ``token`` made,
    None when there was none."""
    row = db.get(project_id, token)
    if row is None:
        return None
    if row['digest'] != params_digest:
        raise Mismatch()
    if row['instance_uuids'] is None:
        raise InProgress()
    return row['instance_uuids']


def forget(project_id, token):
    """The instances of ``token`` are gone: it may make new ones."""
    db.release(project_id, token)
