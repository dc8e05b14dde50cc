"""Volume transfers (Cinder's) in the API process: the offer of a volume
to another project, accepted with a key.

* **create**: the volume (the caller's, ``available``; its snapshots too
  unless they stay behind) swaps to ``awaiting-transfer`` with the offer
  in one transaction. The key is random, shown once in the answer; only
  a salted hash is kept.
* **accept**: by id from any project with the key (Cinder's design: the
  key is the authorization). A wrong key is 400. The volume (and its
  snapshots) moves to the accepting project within that project's quota,
  ``available`` again; of two concurrent accepts exactly one wins.
* **delete**: the offer ends and the volume is ``available`` again.

An offer belongs to the volume's project: one the caller may not show is
not found (404), one it may see but not change 403 (:mod:`iaas.volume.
policies`).

With ``[volume] transfer_expiry`` an offer older than that many seconds is
gone for every caller (404, not listed) and :func:`expire` ends it like a
delete (the volume available again where it was). An accept emits
``volume.transfer.accept.end`` (billing follows the project change).
"""
import datetime
import hashlib
import hmac
import logging
import secrets

from iaas import notifications
from iaas.conf import CONF
from iaas.db import volume_snapshots as db_snapshots
from iaas.db import volume_transfers as db
from iaas.db import volume_types as db_types
from iaas.db import volumes as db_volumes
from iaas.db.base import utcnow
from iaas.exception import InvalidVolume, MarkerNotFound, VolumeNotFound, VolumeTypeNotFound
from iaas.volume import api as volume_api
from iaas.volume import policies as P
from iaas.volume import states

LOG = logging.getLogger(__name__)
SORT_KEYS = db.SORT_KEYS
KEY_BYTES = 8            # a key of 16 hex digits, as Cinder's default length
TRANSFER = states.op('volume', 'transfer')


def crypt_hash(salt, auth_key):
    return hashlib.sha256(f'{salt}{auth_key}'.encode()).hexdigest()


def _cutoff():
    """Offers made before this are expired (None: they never expire)."""
    if not CONF.volume.transfer_expiry:
        return None
    return utcnow() - datetime.timedelta(seconds=CONF.volume.transfer_expiry)


def expired(t):
    cutoff = _cutoff()
    return cutoff is not None and t['created_at'] < cutoff


def expire():
    """End every expired offer (its volume available again); for the
    reaper, and before a listing. Returns how many ended."""
    cutoff = _cutoff()
    if cutoff is None:
        return 0
    ended = 0
    for t in db.created_before(cutoff):
        try:
            db.destroy(t['uuid'], (TRANSFER.during,), TRANSFER.failure)
            ended += 1
            LOG.info('volume transfer %s of volume %s expired', t['uuid'], t['volume_id'])
        except VolumeNotFound:
            continue        # accepted or deleted meanwhile
    return ended


class Transfers:
    def __init__(self, volumes=None):
        self.volumes = volumes or volume_api.API()

    def get(self, ctx, uuid, rule=P.TRANSFER_GET):
        """The live offer if ``ctx`` may show it (404 otherwise, also for
        another project's) and may do ``rule`` on it (403 otherwise)."""
        try:
            t = db.get(uuid) if uuid else None
        except VolumeNotFound:
            t = None
        if t is None or expired(t) or not volume_api.allowed(ctx, P.TRANSFER_GET, volume_api.owner_of(t)):
            raise db.not_found(uuid)
        if rule != P.TRANSFER_GET:
            volume_api.enforce(ctx, rule, volume_api.owner_of(t))
        return t

    def list(self, ctx, filters=None, all_tenants=False, sort=None, limit=None, marker=None,
             offset=None):
        project_id = db_volumes.ALL_PROJECTS if all_tenants else volume_api.own_project(ctx)
        expire()
        try:
            return db.list_(project_id, filters, sort or (('created_at', 'desc'),), limit,
                            marker, offset)
        except MarkerNotFound as exc:
            raise volume_api.MarkerMissing(str(exc)) from None
        except ValueError as exc:
            raise InvalidVolume(str(exc)) from None

    def create(self, ctx, volume_id, name=None, no_snapshots=False):
        """The offer, with its ``auth_key`` (the only time it is shown)."""
        vol = self.volumes.get(ctx, volume_id, P.TRANSFER_CREATE)
        if vol['status'] not in TRANSFER.begin:
            raise InvalidVolume(f'Invalid volume: Status of volume must be available, but '
                                f'it is {vol["status"]}.')
        auth_key, salt = secrets.token_hex(KEY_BYTES), secrets.token_hex(KEY_BYTES)
        t = db.create({'volume_id': vol['uuid'], 'project_id': vol['project_id'],
                       'user_id': ctx.user_id, 'display_name': name, 'salt': salt,
                       'crypt_hash': crypt_hash(salt, auth_key)},
                      TRANSFER.begin, TRANSFER.during, with_snapshots=not no_snapshots)
        return dict(t, auth_key=auth_key)

    def accept(self, ctx, uuid, auth_key):
        """Move the offered volume to the caller's project; returns
        (transfer, volume)."""
        project_id = volume_api.own_project(ctx)
        volume_api.enforce(ctx, P.TRANSFER_ACCEPT,
                           {'project_id': project_id, 'user_id': ctx.user_id})
        t = db.get(uuid)      # whosever it is: the key decides
        if expired(t):
            expire()
            raise db.not_found(uuid)
        if not hmac.compare_digest(crypt_hash(t['salt'], str(auth_key)), t['crypt_hash']):
            raise InvalidVolume(f'Invalid auth key: Attempt to transfer {uuid} with invalid '
                                f'auth key.')
        t, vol = db.accept(uuid, project_id, ctx.user_id, (TRANSFER.during,),
                           TRANSFER.success)
        snaps = [] if t['no_snapshots'] else \
            db_snapshots.list_(db_volumes.ALL_PROJECTS, {'volume_id': vol['uuid']})
        notifications.volume_transferred(ctx, vol, snaps, _type_name(vol))
        return t, vol

    def delete(self, ctx, uuid):
        self.get(ctx, uuid, P.TRANSFER_DELETE)
        return db.destroy(uuid, (TRANSFER.during,), TRANSFER.failure)


def _type_name(vol):
    try:
        return db_types.get(vol['volume_type_id'])['name'] if vol['volume_type_id'] else None
    except VolumeTypeNotFound:
        return None
