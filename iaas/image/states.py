"""Image statuses and the one table of allowed transitions.

    queued ──upload starts──▶ saving ──verified & stored──▶ active
       ▲                        │                          │  ▲
       └──refused / client gone─┘            deactivate ▼  │ reactivate
       └──────stale (no progress)┘                   deactivated
    any status ──delete──▶ deleted

Every status write goes through this module, and each is a compare-and-swap
on the current status in the database (:func:`transition`), so an upload
racing a delete, or two uploads, cannot both win. An image is created
``queued`` (:data:`INITIAL`). ``killed`` exists for Glance compatibility of
the schema; this service never needs it, because a failed upload returns
the image to ``queued`` with nothing stored, ready for another try.
"""
from iaas import notifications
from iaas.db import images as db

QUEUED, SAVING, ACTIVE, DEACTIVATED, KILLED, DELETED = (
    'queued', 'saving', 'active', 'deactivated', 'killed', 'deleted')
INITIAL = QUEUED
STATUSES = (QUEUED, SAVING, ACTIVE, DEACTIVATED, KILLED, DELETED)

TRANSITIONS = {
    (QUEUED, SAVING): 'upload starts',
    (SAVING, QUEUED): 'upload refused or interrupted, or stale (janitor)',
    (SAVING, SAVING): 'upload reservation grows',
    (SAVING, ACTIVE): 'upload verified and stored',
    (ACTIVE, DEACTIVATED): 'deactivate',
    (DEACTIVATED, ACTIVE): 'reactivate',
    **{(status, DELETED): 'delete' for status in STATUSES if status != DELETED},
}


class InvalidTransition(ValueError):
    pass


def check(current, new):
    """Raise InvalidTransition unless ``current`` → ``new`` is in the table."""
    if (current, new) not in TRANSITIONS:
        raise InvalidTransition(f'image status {current} -> {new} is not allowed')


def transition(image_id, current, new, location=None, **values):
    """CAS ``current`` → ``new`` (with ``values``, and ``location`` added in
    the same transaction); False when the image is no longer ``current``."""
    check(current, new)
    return db.image_cas_status(image_id, current, new, location=location, **values)


def activate(image_id, values, store, url, meta=None):
    """saving → active with the upload's size and hashes, plus its location,
    in one transaction. False when the image left 'saving' meanwhile."""
    done = transition(image_id, SAVING, ACTIVE, reserved_size=0,
                      location={'store': store, 'url': url, 'meta': meta}, **values)
    if done:
        _notify_active(image_id)
    return done


def _notify_active(image_id):
    """image.upload, with the image as committed (never fails the upload)."""
    try:
        image = db.image_get(image_id)
    except Exception:
        return
    notifications.image_uploaded(None, image)


def reset_stale_uploads(older_than):
    """Images left 'saving' without progress since ``older_than`` (e.g.
    after a crash) go back to 'queued' and drop their reservation; returns
    their ids."""
    check(SAVING, QUEUED)
    return db.cas_stale_status(SAVING, QUEUED, older_than, reserved_size=0)


def delete(image_id):
    """Any status → deleted (under a row lock); the image's active locations
    (for the store)."""
    return db.image_destroy(image_id, DELETED)
