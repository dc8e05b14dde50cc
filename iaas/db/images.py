"""Image records: the only query code of the image service.

Images are returned as plain dicts with ``properties`` (dict), ``tags``
(sorted list) and ``locations`` (list of {store, url, meta}). Status
changes are compare-and-swap on the current status, so an upload and a
delete (or two uploads) never both win.
"""
import sqlalchemy as sa

from iaas.db.base import utcnow
from iaas.db.engine import transaction
from iaas.db.image_models import Image, ImageLocation, ImageMember, ImageProperty, ImageTag
from iaas.exception import (  # noqa: F401 (raised here, caught by the image API)
    ImageExists,
    ImageNotFound,
    MarkerNotFound,
    MemberExists,
    MemberNotFound,
)

IMAGE_COLUMNS = ('id', 'name', 'status', 'visibility', 'protected', 'os_hidden',
                 'disk_format', 'container_format', 'min_disk', 'min_ram', 'size',
                 'virtual_size', 'checksum', 'os_hash_algo', 'os_hash_value', 'owner',
                 'reserved_size', 'created_at', 'updated_at', 'deleted_at')

SORT_KEYS = {'name', 'status', 'container_format', 'disk_format', 'size', 'id',
             'created_at', 'updated_at', 'min_disk', 'min_ram', 'visibility', 'owner',
             'virtual_size'}


def _image_dict(s, img, full=True):
    d = {k: getattr(img, k) for k in IMAGE_COLUMNS}
    if full:
        d['properties'] = {p.name: p.value for p in s.scalars(
            sa.select(ImageProperty).filter_by(image_id=img.id))}
        d['tags'] = sorted(t.value for t in s.scalars(
            sa.select(ImageTag).filter_by(image_id=img.id)))
        d['locations'] = [{'store': loc.store, 'url': loc.url, 'meta': loc.meta or {}}
                          for loc in s.scalars(sa.select(ImageLocation).filter_by(
                              image_id=img.id, status='active').order_by(ImageLocation.id))]
    return d


def _get(s, image_id, lock=False):
    q = sa.select(Image).filter_by(id=image_id, deleted=0)
    if lock:
        q = q.with_for_update()
    img = s.scalars(q).first()
    if img is None:
        raise ImageNotFound(f'No image found with ID {image_id}')
    return img


def image_create(values, properties=None, tags=None):
    try:
        return _image_create(values, properties, tags)
    except sa.exc.IntegrityError:
        raise ImageExists(f'Image {values.get("id")} already exists') from None


def _image_create(values, properties, tags):
    with transaction() as s:
        img = Image(**values)
        s.add(img)
        s.flush()
        for k, v in (properties or {}).items():
            s.add(ImageProperty(image_id=img.id, name=k, value=v))
        for t in sorted(set(tags or ())):
            s.add(ImageTag(image_id=img.id, value=t))
        s.flush()
        return _image_dict(s, img)


def image_get(image_id):
    with transaction() as s:
        return _image_dict(s, _get(s, image_id))


_BOOT_IMAGE = sa.select(*[Image.__table__.c[k] for k in IMAGE_COLUMNS]).where(
    Image.id == sa.bindparam('i'), Image.deleted == 0)
_BOOT_PROPERTIES = sa.select(ImageProperty.name, ImageProperty.value).where(
    ImageProperty.image_id == sa.bindparam('i'))


def image_get_for_boot(image_id):
    """The image's columns and properties: what a boot reads of it (no
    tags, no locations; prebuilt statements run as Core: it runs on every
    server create)."""
    with transaction() as s:
        c = s.connection()
        row = c.execute(_BOOT_IMAGE, {'i': image_id}).mappings().first()
        if row is None:
            raise ImageNotFound(f'No image found with ID {image_id}')
        d = dict(row)
        d['properties'] = dict(c.execute(_BOOT_PROPERTIES, {'i': image_id}).all())
        return d


def member_get_status(image_id, member):
    """The member's status for the image, or None when it is not a member."""
    with transaction() as s:
        m = s.scalars(sa.select(ImageMember).filter_by(image_id=image_id, member=member)).first()
        return m.status if m else None


def image_update(image_id, values=None, set_properties=None, remove_properties=(),
                 tags=None, expected_status=None):
    """Change columns, properties and (when given) the whole tag set; never
    the status (a transition of :mod:`iaas.image.states`)."""
    if 'status' in (values or {}):
        raise ValueError('image status changes only by iaas.image.states.transition')
    with transaction() as s:
        img = _get(s, image_id, lock=True)
        if expected_status is not None and img.status not in expected_status:
            return None
        for k, v in (values or {}).items():
            setattr(img, k, v)
        img.updated_at = utcnow()
        for k in remove_properties:
            s.execute(sa.delete(ImageProperty).filter_by(image_id=image_id, name=k))
        for k, v in (set_properties or {}).items():
            p = s.scalars(sa.select(ImageProperty).filter_by(image_id=image_id, name=k)).first()
            if p is None:
                s.add(ImageProperty(image_id=image_id, name=k, value=v))
            else:
                p.value = v
        if tags is not None:
            s.execute(sa.delete(ImageTag).filter_by(image_id=image_id))
            for t in sorted(set(tags)):
                s.add(ImageTag(image_id=image_id, value=t))
        s.flush()
        return _image_dict(s, img)


def image_cas_status(image_id, expected, new, location=None, **values):
    """Set status ``new`` only while it is one of ``expected``; True when it
    was. ``location`` ({store, url, meta}): added in the same transaction.
    Callers go through :func:`iaas.image.states.transition` (the table of
    allowed transitions); this is its compare-and-swap."""
    if isinstance(expected, str):
        expected = (expected,)
    with transaction() as s:
        n = s.execute(sa.update(Image).where(
            Image.id == image_id, Image.deleted == 0, Image.status.in_(expected)).values(
                status=new, updated_at=utcnow(), **values)).rowcount
        if n == 1 and location is not None:
            s.add(ImageLocation(image_id=image_id, store=location['store'],
                                url=location['url'], meta=location.get('meta') or {}))
        return n == 1


def image_destroy(image_id, new, expected=None):
    """Mark the image deleted (status ``new``); returns its active locations
    (for the store), or None when its status is not one of ``expected``.
    Callers go through :func:`iaas.image.states.delete`."""
    with transaction() as s:
        img = _get(s, image_id, lock=True)
        if expected is not None and img.status not in expected:
            return None
        locs = [{'store': loc.store, 'url': loc.url, 'meta': loc.meta or {}}
                for loc in s.scalars(sa.select(ImageLocation).filter_by(
                    image_id=image_id, status='active'))]
        s.execute(sa.update(ImageLocation).filter_by(image_id=image_id).values(
            status='pending_delete'))
        img.status = new
        img.deleted = 1
        img.deleted_at = utcnow()
        img.reserved_size = 0
        return locs


def location_add(image_id, store, url, meta=None):
    with transaction() as s:
        s.add(ImageLocation(image_id=image_id, store=store, url=url, meta=meta or {}))


def location_forget(image_id, url):
    with transaction() as s:
        s.execute(sa.delete(ImageLocation).filter_by(image_id=image_id, url=url))


def cas_stale_status(expected, new, older_than, **values):
    """Images in status ``expected`` with no change since ``older_than``
    (e.g. an upload left 'saving' by a crash) move to ``new``, each by a
    compare-and-swap on ``expected``; returns their ids. Callers go through
    :func:`iaas.image.states.reset_stale_uploads`."""
    with transaction() as s:
        ids = list(s.scalars(sa.select(Image.id).where(
            Image.deleted == 0, Image.status == expected,
            sa.func.coalesce(Image.updated_at, Image.created_at) < older_than)))
        if ids:
            s.execute(sa.update(Image).where(Image.id.in_(ids), Image.status == expected).values(
                status=new, updated_at=utcnow(), **values))
        return ids


def in_status(statuses, older_than):
    """Images in one of ``statuses`` with no change since ``older_than``
    (``iaas-manage status``: uploads and snapshots that hang)."""
    with transaction() as s:
        q = sa.select(Image.id, Image.name, Image.status, Image.owner,
                      sa.func.coalesce(Image.updated_at, Image.created_at)).where(
            Image.deleted == 0, Image.status.in_(list(statuses)),
            sa.func.coalesce(Image.updated_at, Image.created_at) < older_than
        ).order_by(Image.created_at)
        return [{'id': i, 'name': n, 'status': st, 'owner': o, 'since': since}
                for i, n, st, o, since in s.execute(q)]


def pending_deletes(limit=100):
    """Locations of deleted images whose data a store still has to remove."""
    with transaction() as s:
        return [{'image_id': loc.image_id, 'store': loc.store, 'url': loc.url,
                 'meta': loc.meta or {}}
                for loc in s.scalars(sa.select(ImageLocation).where(
                    ImageLocation.status == 'pending_delete').limit(limit))]


# -- quota ------------------------------------------------------------------

def project_usage(project_id):
    """Bytes the project's images hold: stored sizes plus upload reservations."""
    with transaction() as s:
        used = s.execute(sa.select(sa.func.coalesce(sa.func.sum(
            sa.func.coalesce(Image.size, 0) + Image.reserved_size), 0)).where(
                Image.owner == project_id, Image.deleted == 0)).scalar_one()
        return int(used)


# -- lists ------------------------------------------------------------------

def _sort_expr(key):
    col = getattr(Image, key)
    if key in ('name', 'disk_format', 'container_format', 'owner'):
        return sa.func.coalesce(col, '')
    if key in ('size', 'virtual_size'):
        return sa.func.coalesce(col, -1)
    if key == 'updated_at':
        return sa.func.coalesce(col, Image.created_at)
    return col


def _visible_clause(project_id, is_admin, visibility, member_status):
    member_q = sa.select(ImageMember.image_id).where(ImageMember.member == project_id)
    if member_status != 'all':
        member_q = member_q.where(ImageMember.status == member_status)
    is_member = Image.id.in_(member_q)
    own = Image.owner == project_id
    if visibility is None:
        if is_admin:
            return sa.true()
        return sa.or_(own, Image.visibility == 'public',
                      sa.and_(Image.visibility == 'shared', is_member))
    if visibility == 'all':
        if is_admin:
            return sa.true()
        return sa.or_(own, Image.visibility.in_(('public', 'community')),
                      sa.and_(Image.visibility == 'shared', is_member))
    clause = Image.visibility == visibility
    if visibility in ('public', 'community') or is_admin:
        return clause
    if visibility == 'shared':
        return sa.and_(clause, sa.or_(own, is_member))
    return sa.and_(clause, own)


def image_list(project_id, is_admin=False, filters=None, sort=(('created_at', 'desc'),),
               limit=25, marker=None, visibility=None, member_status='accepted'):
    """Images the project may list, filtered, sorted and paged.

    ``filters``: name, id (value or list), status, owner, disk_format,
    container_format, size_min, size_max, protected, os_hidden, tags (all
    required), properties ({name: value}).
    """
    f = dict(filters or {})
    sort = list(sort)
    if 'id' not in [k for k, _ in sort]:
        sort.append(('id', sort[-1][1] if sort else 'desc'))
    with transaction() as s:
        q = sa.select(Image).where(Image.deleted == 0,
                                   _visible_clause(project_id, is_admin, visibility,
                                                   member_status))
        for key in ('name', 'id', 'status', 'owner', 'disk_format', 'container_format'):
            if key in f:
                v = f[key]
                col = getattr(Image, key)
                q = q.where(col.in_(v) if isinstance(v, (list, tuple)) else col == v)
        if 'size_min' in f:
            q = q.where(Image.size >= f['size_min'])
        if 'size_max' in f:
            q = q.where(Image.size <= f['size_max'])
        if 'protected' in f:
            q = q.where(Image.protected == f['protected'])
        q = q.where(Image.os_hidden == f.get('os_hidden', False))
        for t in f.get('tags', ()):
            q = q.where(Image.id.in_(sa.select(ImageTag.image_id).where(ImageTag.value == t)))
        for k, v in f.get('properties', {}).items():
            q = q.where(Image.id.in_(sa.select(ImageProperty.image_id).where(
                ImageProperty.name == k, ImageProperty.value == v)))
        if marker is not None:
            m = s.scalars(sa.select(Image).where(
                Image.id == marker, Image.deleted == 0,
                _visible_clause(project_id, is_admin, 'all', 'all'))).first()
            if m is None:
                raise MarkerNotFound(f'Marker {marker} not found')
            q = q.where(_after_marker(s, m, sort))
        for key, direction in sort:
            e = _sort_expr(key)
            q = q.order_by(e.asc() if direction == 'asc' else e.desc())
        q = q.limit(limit)
        return _image_dicts(s, list(s.scalars(q)))


def _image_dicts(s, imgs):
    """Full dicts of a page of images in four queries (not three per image)."""
    ids = [img.id for img in imgs]
    out = {img.id: _image_dict(s, img, full=False) for img in imgs}
    for d in out.values():
        d.update(properties={}, tags=[], locations=[])
    if not ids:
        return []
    for p in s.scalars(sa.select(ImageProperty).where(ImageProperty.image_id.in_(ids))):
        out[p.image_id]['properties'][p.name] = p.value
    for t in s.scalars(sa.select(ImageTag).where(ImageTag.image_id.in_(ids))):
        out[t.image_id]['tags'].append(t.value)
    for loc in s.scalars(sa.select(ImageLocation).where(
            ImageLocation.image_id.in_(ids), ImageLocation.status == 'active').order_by(
                ImageLocation.id)):
        out[loc.image_id]['locations'].append(
            {'store': loc.store, 'url': loc.url, 'meta': loc.meta or {}})
    for d in out.values():
        d['tags'].sort()
    return [out[i] for i in ids]


def _after_marker(s, marker, sort):
    """Rows strictly after ``marker`` in the (key, dir) ordering."""
    values = {}
    for key, _ in sort:
        values[key] = s.execute(sa.select(_sort_expr(key)).where(
            Image.id == marker.id)).scalar_one()
    ors = []
    for i, (key, direction) in enumerate(sort):
        ands = [_sort_expr(k) == values[k] for k, _ in sort[:i]]
        e = _sort_expr(key)
        ands.append(e > values[key] if direction == 'asc' else e < values[key])
        ors.append(sa.and_(*ands))
    return sa.or_(*ors)


# -- members ----------------------------------------------------------------

def _member_dict(m):
    return {'image_id': m.image_id, 'member_id': m.member, 'status': m.status,
            'created_at': m.created_at, 'updated_at': m.updated_at or m.created_at}


def member_create(image_id, member):
    with transaction() as s:
        _get(s, image_id)
        if s.scalars(sa.select(ImageMember).filter_by(image_id=image_id,
                                                      member=member)).first():
            raise MemberExists(f'Member {member} already exists for image {image_id}')
        m = ImageMember(image_id=image_id, member=member, status='pending')
        s.add(m)
        s.flush()
        return _member_dict(m)


def member_list(image_id):
    with transaction() as s:
        return [_member_dict(m) for m in s.scalars(sa.select(ImageMember).filter_by(
            image_id=image_id).order_by(ImageMember.id))]


def member_get(image_id, member):
    with transaction() as s:
        m = s.scalars(sa.select(ImageMember).filter_by(image_id=image_id,
                                                       member=member)).first()
        if m is None:
            raise MemberNotFound(f'{member} is not a member of image {image_id}')
        return _member_dict(m)


def member_update(image_id, member, status):
    with transaction() as s:
        m = s.scalars(sa.select(ImageMember).filter_by(image_id=image_id,
                                                       member=member)).first()
        if m is None:
            raise MemberNotFound(f'{member} is not a member of image {image_id}')
        m.status = status
        m.updated_at = utcnow()
        s.flush()
        return _member_dict(m)


def member_delete(image_id, member):
    with transaction() as s:
        n = s.execute(sa.delete(ImageMember).filter_by(image_id=image_id,
                                                       member=member)).rowcount
        if not n:
            raise MemberNotFound(f'{member} is not a member of image {image_id}')


# -- tags -------------------------------------------------------------------

def tag_add(image_id, tag):
    with transaction() as s:
        img = _get(s, image_id, lock=True)
        if not s.scalars(sa.select(ImageTag).filter_by(image_id=image_id, value=tag)).first():
            s.add(ImageTag(image_id=image_id, value=tag))
        img.updated_at = utcnow()


def tag_delete(image_id, tag):
    with transaction() as s:
        img = _get(s, image_id, lock=True)
        n = s.execute(sa.delete(ImageTag).filter_by(image_id=image_id, value=tag)).rowcount
        img.updated_at = utcnow()
        return bool(n)
