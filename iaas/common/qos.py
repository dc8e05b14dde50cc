"""Front-end QoS of an attachment: the limits of a volume's QoS specs that
the hypervisor enforces (Cinder's ``qos_specs`` in ``connection_info``).

Only specs whose consumer is ``front-end`` or ``both`` reach the
connection_info (``back-end`` ones are the backend's business, as in
Cinder). The per-GB keys (``total_iops_sec_per_gb``, ``read_bytes_sec_per_gb``,
…) are multiplied by the volume's size into the plain key, at least their
``…_per_gb_min`` when given, as Cinder's capacity-based QoS does; a plain key
the spec also has is replaced by the per-GB result.

Shared by the volume host (:func:`front_end`, into the connection_info;
no database there: the specs come with the volume's dict) and the libvirt
driver (:func:`iotune`, out of it into the disk's ``<iotune>``).
"""
FRONT_END = ('front-end', 'both')
# the six keys Cinder scales by the size, and the rest libvirt's <iotune> knows
SCALED = ('total_bytes_sec', 'read_bytes_sec', 'write_bytes_sec',
          'total_iops_sec', 'read_iops_sec', 'write_iops_sec')
IOTUNE = SCALED + ('total_bytes_sec_max', 'read_bytes_sec_max', 'write_bytes_sec_max',
                   'total_iops_sec_max', 'read_iops_sec_max', 'write_iops_sec_max',
                   'size_iops_sec')


def _int(value):
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return n if n >= 0 else None


def front_end(consumer, specs, size_gb):
    """The specs an attachment's connection_info carries (a dict, the values
    as Cinder gives them; per-GB keys resolved), or None."""
    if consumer not in FRONT_END or not specs:
        return None
    out = dict(specs)
    for key in SCALED:
        per_gb = out.pop(f'{key}_per_gb', None)
        minimum = out.pop(f'{key}_per_gb_min', None)
        if per_gb is None:
            continue
        value = _int(per_gb)
        if value is None:
            continue
        out[key] = str(max(_int(minimum) or 0, value * int(size_gb or 0)))
    return out or None


def iotune(specs):
    """{libvirt iotune element: int} of the connection_info's ``qos_specs``:
    the keys libvirt knows with a non-negative integer value (others are
    ignored, as Nova does). A ``total_*`` limit and the ``read_*``/``write_*``
    ones of the same kind cannot go together in libvirt: total wins."""
    if not isinstance(specs, dict):
        return {}
    out = {}
    for key in IOTUNE:
        value = _int(specs.get(key)) if key in specs else None
        if value is not None:
            out[key] = value
    for kind in ('bytes_sec', 'iops_sec', 'bytes_sec_max', 'iops_sec_max'):
        if f'total_{kind}' in out:
            out.pop(f'read_{kind}', None)
            out.pop(f'write_{kind}', None)
    return out
