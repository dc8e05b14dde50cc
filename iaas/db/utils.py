"""Row → dict conversion and keyset pagination shared by the facade modules."""
import sqlalchemy as sa


def row_to_dict(obj, exclude=()):
    """Column attributes of an ORM object as a dict keyed by attribute name.

    Attributes named with a trailing underscore (``metadata_``) lose it.
    """
    out = {}
    for attr in obj.__mapper__.column_attrs:
        key = attr.key
        if key in exclude:
            continue
        out[key.rstrip('_')] = getattr(obj, key)
    return out


def after_marker(q, model, m, sort):
    """``q`` continued after the row ``m`` (the marker) in the order ``sort``
    ([(key, 'asc'|'desc')…]), keyset-paginated on (sort keys…, id)."""
    keys = list(sort) + [('id', sort[0][1] if sort else 'asc')]
    clauses = []
    for i, (key, direction) in enumerate(keys):
        col, val = getattr(model, key), getattr(m, key)
        eqs = [getattr(model, k) == getattr(m, k) if getattr(m, k) is not None
               else getattr(model, k).is_(None) for k, _ in keys[:i]]
        if val is None:
            cmp = sa.false()   # NULL keys: only the tie-breakers below order them
        else:
            cmp = col < val if direction == 'desc' else col > val
        clauses.append(sa.and_(*eqs, cmp))
    return q.where(sa.or_(*clauses))
