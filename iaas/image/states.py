"""Image statuses and the one table of allowed transitions.

    queued ──upload starts──▶ saving ──verified & stored──▶ active
       ▲                        │                          │  ▲
       └──refused / client gone─┘            deactivate ▼  │ reactivate
                                                     deactivated
    any status ──delete──▶ deleted

Every transition is a compare-and-swap on the current status in the
database (:func:`transition`), so an upload racing a delete, or two
uploads, cannot both win. ``killed`` exists for Glance compatibility of
the schema; this service never needs it, because a failed upload returns
the image to ``queued`` with nothing stored, ready for another try.
"""
from iaas.db import images as db

QUEUED, SAVING, ACTIVE, DEACTIVATED, KILLED, DELETED = (
    'queued', 'saving', 'active', 'deactivated', 'killed', 'deleted')

TRANSITIONS = {
    (QUEUED, SAVING): 'upload starts',
    (SAVING, QUEUED): 'upload refused or interrupted',
    (SAVING, SAVING): 'upload reservation grows',
    (SAVING, ACTIVE): 'upload verified and stored',
    (ACTIVE, DEACTIVATED): 'deactivate',
    (DEACTIVATED, ACTIVE): 'reactivate',
}


class InvalidTransition(ValueError):
    pass


def transition(image_id, current, new, **values):
    """CAS ``current`` → ``new``; False when the image is no longer ``current``."""
    if (current, new) not in TRANSITIONS:
        raise InvalidTransition(f'image status {current} -> {new} is not allowed')
    return db.image_cas_status(image_id, current, new, **values)
