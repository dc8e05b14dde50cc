"""Row → dict conversion shared by the facade modules."""


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
