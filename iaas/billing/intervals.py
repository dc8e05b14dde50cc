"""Usage intervals from events, independent of the order they came in.

Every state event carries a resource's whole billable state (state, price
key, size, project) and when it took effect (``at``). A resource's
intervals are what its events say once sorted by ``at``: a new interval
starts wherever the billable state differs from the one before, a
``deleted`` event ends the last one for good, and an event equal to the
state in force changes nothing. Duplicates are dropped before (same
``message_id``), so deliveries in any order and any number give the same
intervals.

:func:`plan` is what ingestion runs for a batch: events later than all a
resource had so far are *appended* to its head (the common case, no
reading of old events); an event at or before the head's last one makes
the resource's intervals be derived again from all its events.
"""
import dataclasses


def _order(ev):
    # ties: a deletion last, then by message id (any fixed order will do)
    return (ev.at, ev.state == 'deleted', ev.message_id)


def signature(state, project_id, price_key, size):
    return (state, project_id, price_key, size)


def head_of(ev):
    return {'resource_type': ev.resource_type, 'resource_id': ev.resource_id,
            'project_id': ev.project_id, 'user_id': ev.user_id, 'state': ev.state,
            'price_key': ev.price_key, 'size': ev.size, 'attrs': dict(ev.attrs),
            'last_at': ev.at, 'deleted': ev.state == 'deleted'}


def _sig(head):
    return signature(head['state'], head['project_id'], head['price_key'], head['size'])


def interval_of(ev):
    return {'resource_type': ev.resource_type, 'resource_id': ev.resource_id,
            'project_id': ev.project_id, 'kind': 'state', 'state': ev.state,
            'start_at': ev.at, 'end_at': None, 'price_key': ev.price_key,
            'size': ev.size, 'requests': None, 'bytes_out': None, 'attrs': dict(ev.attrs)}


@dataclasses.dataclass
class Applied:
    close_at: object = None          # end of the interval open before (if any)
    intervals: list = dataclasses.field(default_factory=list)
    head: dict | None = None


def apply(head, events):
    """Append ``events`` (sorted, all later than ``head['last_at']``) to a
    resource whose current state is ``head`` (None: a resource not seen yet)."""
    out = Applied(head=dict(head) if head else None)
    cur = out.head
    open_new = None
    for ev in events:
        if cur is not None and cur['deleted']:
            cur['last_at'] = max(cur['last_at'], ev.at)
            continue
        new_sig = signature(ev.state, ev.project_id, ev.price_key, ev.size)
        if cur is not None and _sig(cur) == new_sig:
            cur['last_at'] = ev.at
            if ev.attrs:
                cur['attrs'] = {**cur['attrs'], **ev.attrs}
            continue
        if open_new is not None:
            open_new['end_at'] = ev.at
        elif cur is not None and out.close_at is None:
            out.close_at = ev.at
        cur = head_of(ev)
        if ev.state == 'deleted':
            open_new = None
            if out.head:
                cur['price_key'], cur['size'] = out.head['price_key'], out.head['size']
        else:
            open_new = interval_of(ev)
            out.intervals.append(open_new)
        out.head = cur
    return out


def derive(events):
    """All intervals of one resource from all its state events, in any order."""
    return apply(None, sorted(events, key=_order))


def plan(heads, new_events, all_events):
    """What to write for one batch.

    ``heads``: {(type, id): head dict} of the resources the batch touches
    (those already known); ``new_events``: {(type, id): [Event]} the batch's
    new state events; ``all_events``: {(type, id): [Event]} every stored
    state event of the resources that need deriving again (see
    :func:`needs_rederive`), the batch's included.

    Returns (closes [(key, at)], rederived [key], intervals [dict], heads [dict]).
    """
    closes, rederived, intervals, out_heads = [], [], [], []
    for key, evs in new_events.items():
        head = heads.get(key)
        if key in all_events:
            res = derive(all_events[key])
            rederived.append(key)
        else:
            res = apply(head, sorted(evs, key=_order))
            if res.close_at is not None:
                closes.append((key, res.close_at))
        intervals.extend(res.intervals)
        if res.head is not None:
            if head is not None:
                res.head['id'] = head.get('id')
            out_heads.append(res.head)
    return closes, rederived, intervals, out_heads


def needs_rederive(head, evs):
    """True when an event is not later than all the resource had so far."""
    return head is not None and min(ev.at for ev in evs) <= head['last_at']
