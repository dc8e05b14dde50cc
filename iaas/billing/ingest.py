"""Storing usage events: once each (by message id), durably, with their
intervals, in one transaction per batch.

The consumer acknowledges a batch of messages only after :func:`ingest`
returned, so an event is either stored or still on the bus.
"""
import logging

from iaas.billing import clock, events, intervals
from iaas.db import billing as db

LOG = logging.getLogger(__name__)


def reparse(row):
    """The event of a stored row (payloads are kept as received)."""
    try:
        return events.parse({'message_id': row.message_id, 'event_type': row.event_type,
                             'payload': row.payload}, source=row.source)
    except events.InvalidEvent:
        return None


def ingest_events(evs, now=None, corrections=()):
    """Store parsed events; returns those that were new."""
    if not evs:
        return []
    return db.ingest(evs, intervals.plan, reparse, clock.now(now), corrections)


def ingest(envelopes, now=None, source='bus'):
    """Parse and store notification envelopes. Returns counts:
    stored, duplicates, invalid (logged, dropped) and ignored (other event
    types)."""
    parsed, invalid, ignored = [], 0, 0
    for env in envelopes:
        try:
            ev = events.parse(env, source=source)
        except events.InvalidEvent as exc:
            invalid += 1
            LOG.warning('dropping an invalid usage event %s: %s',
                        env.get('message_id') if isinstance(env, dict) else '?', exc)
            continue
        if ev is None:
            ignored += 1
            continue
        parsed.append(ev)
    new = ingest_events(parsed, now)
    return {'stored': len(new), 'duplicates': len(parsed) - len(new),
            'invalid': invalid, 'ignored': ignored}
