"""RunInstances idempotency (EC2's ClientToken): the first request with a
token claims it (a unique row per project and token, before anything is
made) and records the instances it made; a later request with the same
token and the same parameters gets those instances back, one with other
parameters ``IdempotentParameterMismatch``. One indexed lookup, however
many instances the project has."""
import hashlib
import json
import time

from iaas.db import ec2_tokens as db

# parameters that do not describe the instances (auth, signing, the token)
_IGNORED = frozenset({'ClientToken', 'Action', 'Version', 'DryRun', 'AWSAccessKeyId',
                      'Signature', 'SignatureMethod', 'SignatureVersion', 'Timestamp',
                      'Expires', 'SecurityToken'})
WAIT = 30          # seconds a repeat waits for the first request to finish


class Mismatch(Exception):
    """The token was used with other parameters."""


class InProgress(Exception):
    """The first request with the token is still making its instances."""


def _canon(tree):
    if isinstance(tree, dict):
        return {str(k): _canon(v) for k, v in tree.items()}
    return tree


def digest(tree):
    """SHA-256 of the request's parameters that describe the instances."""
    body = {str(k): _canon(v) for k, v in tree.items()
            if str(k) not in _IGNORED and not str(k).startswith('X-Amz-')}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def claim(project_id, token, params_digest):
    """None: this request makes the instances (then :func:`made` or
    :func:`failed`); else the uuids the first request made."""
    deadline = time.monotonic() + WAIT
    while True:
        row = db.claim(project_id, token, params_digest)
        if row is None:
            return None
        if row['digest'] != params_digest:
            raise Mismatch()
        if row['instance_uuids'] is not None:
            return row['instance_uuids']
        if time.monotonic() > deadline:
            raise InProgress()
        time.sleep(0.05)        # the first request is creating (or failed: claim again)


def made(project_id, token, uuids):
    db.fill(project_id, token, uuids)


def failed(project_id, token):
    db.release(project_id, token)
