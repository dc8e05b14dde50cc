"""Token revocation: events in the database, a cached copy in memory.

A token is revoked when an event matches it: by audit id (one token and
the tokens rescoped from it), by user (password change, user disabled or
deleted), by project (project disabled or deleted) or by user and project
(role removed), each applying to tokens issued before the event. Each
process reloads the events when the shared revision moved (recording an
event moves it: :mod:`iaas.identity.revision`, polled at most once per
``revocation_cache_time``), and at least every ``cache_time``; events it
records itself apply at once.
"""
import datetime
import threading
import time

from iaas.conf import CONF
from iaas.db import identity as db
from iaas.db.base import utcnow
from iaas.identity import revision


def _ms(dt):
    return int(dt.replace(tzinfo=datetime.UTC).timestamp() * 1000)


class RevocationList:
    def __init__(self):
        self._lock = threading.Lock()
        self._loaded = None   # monotonic time of the last load
        self._expires = 0.0   # reload at the latest then (cache_time)
        self._epoch = 0       # moves when the shared revision moved
        self._loaded_epoch = None
        self.audit = set()
        self.user = {}        # user_id -> issued_before ms
        self.project = {}
        self.user_project = {}

    def _load(self):
        audit, user, project, user_project = set(), {}, {}, {}
        for ev in db.revocation_list():
            before = _ms(ev['issued_before'])
            if ev['audit_id']:
                audit.add(ev['audit_id'])
            elif ev['user_id'] and ev['project_id']:
                key = (ev['user_id'], ev['project_id'])
                user_project[key] = max(before, user_project.get(key, 0))
            elif ev['user_id']:
                user[ev['user_id']] = max(before, user.get(ev['user_id'], 0))
            elif ev['project_id']:
                project[ev['project_id']] = max(before, project.get(ev['project_id'], 0))
        self.audit, self.user, self.project = audit, user, project
        self.user_project = user_project

    def _fresh(self):
        return self._loaded_epoch == self._epoch and time.monotonic() < self._expires

    def refresh(self, force=False):
        revision.check()
        if not force and self._fresh():
            return
        with self._lock:
            if force or not self._fresh():
                epoch = self._epoch
                self._load()
                self._loaded = time.monotonic()
                self._expires = self._loaded + max(CONF.identity.cache_time, 1)
                self._loaded_epoch = epoch

    def stale(self):
        """The shared revision moved: reload before the next check."""
        self._epoch += 1

    def is_revoked(self, data):
        """True when an event matches TokenData ``data``."""
        self.refresh()
        for a in data.audit_ids:
            if a in self.audit:
                return True
        issued = data.issued_ms
        if self.user.get(data.user_id, -1) >= issued:
            return True
        if data.project_id is not None:
            if self.project.get(data.project_id, -1) >= issued:
                return True
            if self.user_project.get((data.user_id, data.project_id), -1) >= issued:
                return True
        return False

    def reset(self):
        with self._lock:
            self._loaded = None
            self._expires = 0.0


REVOCATIONS = RevocationList()
revision.WATCH.on_change(REVOCATIONS.stale)


def _record(**match):
    now = utcnow()
    # Matching tokens cannot outlive this (token lifetime + clock slack).
    expires = now + datetime.timedelta(seconds=CONF.identity.token_expiration + 300)
    db.revocation_add(issued_before=now, expires_at=expires, **match)
    # The event's own millisecond: tokens issued in it count as revoked.
    REVOCATIONS.refresh(force=True)


def revoke_token(data):
    _record(audit_id=data.audit_id)


def revoke_user(user_id):
    _record(user_id=user_id)


def revoke_project(project_id):
    _record(project_id=project_id)


def revoke_user_project(user_id, project_id):
    _record(user_id=user_id, project_id=project_id)
