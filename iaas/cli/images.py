"""``iaas image …`` (Glance v2)."""
import os
import sys
from urllib.parse import quote

from iaas.cli import output, resolve
from iaas.cli.errors import APIError, CLIError

DISK_FORMATS = ('raw', 'qcow2', 'vmdk', 'vdi', 'vhd', 'vhdx', 'iso', 'ami', 'ari', 'aki',
                'ploop')
CONTAINER_FORMATS = ('bare', 'ovf', 'ova', 'aki', 'ari', 'ami', 'docker', 'compressed')
CHUNK = 1 << 16
IMAGE_FIELDS_HIDDEN = ('self', 'file', 'schema', 'locations', 'direct_url')


def detect_disk_format(path):
    """qcow2 / iso / vhdx / vmdk by magic, else raw."""
    try:
        with open(path, 'rb') as f:
            head = f.read(512)
            f.seek(0x8001)
            iso = f.read(5)
    except OSError:
        return 'raw'
    if head.startswith(b'QFI\xfb'):
        return 'qcow2'
    if head.startswith(b'vhdxfile'):
        return 'vhdx'
    if head.startswith(b'KDMV'):
        return 'vmdk'
    if iso == b'CD001':
        return 'iso'
    return 'raw'


class UploadReader:
    """A file read in chunks for ``requests`` (never whole into memory),
    reporting progress on a terminal."""

    def __init__(self, f, size, label, show=False):
        self.f = f
        self.size = size
        self.sent = 0
        self.label = label
        self.show = show
        self._shown = -1

    def __len__(self):
        return self.size

    def read(self, n=-1):
        chunk = self.f.read(CHUNK if n is None or n < 0 else min(n, CHUNK))
        self.sent += len(chunk)
        if self.show and self.size:
            pct = self.sent * 100 // self.size
            if pct != self._shown:
                self._shown = pct
                print(f'\r{self.label}: {pct}% of {self.size} bytes', end='',
                      file=sys.stderr, flush=True)
                if self.sent >= self.size:
                    print(file=sys.stderr)
        return chunk

    def __iter__(self):
        while True:
            chunk = self.read(CHUNK)
            if not chunk:
                return
            yield chunk


def show_image(args, img):
    if (getattr(args, 'format', None) or 'table') == 'json':
        output.print_dict(args, img)
    else:
        output.print_dict(args, {k: v for k, v in sorted(img.items())
                                 if k not in IMAGE_FIELDS_HIDDEN})


def _properties(values):
    out = {}
    for item in values or []:
        key, sep, value = item.partition('=')
        if not sep or not key:
            raise CLIError(f'--property expects KEY=VALUE, got {item!r}')
        out[key] = value
    return out


def cmd_upload(cloud, args):
    path = args.file
    try:
        size = os.path.getsize(path)
        f = open(path, 'rb')
    except OSError as exc:
        raise CLIError(f'cannot read {path}: {exc.strerror or exc}') from None
    with f:
        body = {'name': args.name,
                'disk_format': args.disk_format or detect_disk_format(path),
                'container_format': args.container_format}
        if args.visibility:
            body['visibility'] = args.visibility
        if args.min_disk is not None:
            body['min_disk'] = args.min_disk
        if args.min_ram is not None:
            body['min_ram'] = args.min_ram
        body.update(_properties(args.property))
        img = cloud.image.post('/images', json=body).json()
        reader = UploadReader(f, size, f'uploading {args.name}',
                              show=sys.stderr.isatty() and getattr(args, 'format', None) != 'json')
        try:
            cloud.image.put(f'/images/{img["id"]}/file', data=reader, timeout=(10, 3600),
                            headers={'Content-Type': 'application/octet-stream',
                                     'Content-Length': str(size),
                                     'X-OpenStack-Image-Size': str(size)})
        except CLIError as exc:
            try:
                cloud.image.delete(f'/images/{img["id"]}')
                note = 'the queued image record was deleted'
            except CLIError:
                note = f'image {img["id"]} may be left queued'
            raise CLIError(f'upload of {path} failed: {exc.message}; {note}') from None
    show_image(args, cloud.image.get(f'/images/{img["id"]}').json())


def cmd_list(cloud, args):
    params = {}
    if args.name:
        params['name'] = args.name
    images = list(resolve.glance_pages(cloud.image, params))
    headers = ['ID', 'Name', 'Status', 'Size', 'Disk Format', 'Visibility']
    rows = [[i.get('id'), i.get('name'), i.get('status'), i.get('size'),
             i.get('disk_format'), i.get('visibility')] for i in images]
    output.print_list(args, headers, rows)


def cmd_show(cloud, args):
    show_image(args, resolve.image(cloud.image, args.image))


def cmd_delete(cloud, args):
    images = [resolve.image(cloud.image, ref) for ref in args.image]
    failed = []
    for img in images:
        try:
            cloud.image.delete(f'/images/{quote(img["id"], safe="")}')
        except APIError as exc:
            failed.append(f'{img.get("name") or img["id"]}: {exc.message}')
    if failed:
        raise CLIError('failed to delete ' + '; '.join(failed))


def register(sub, command):
    p = command(sub, 'image', 'images (Glance v2)')
    ss = p.add_subparsers(dest='action', metavar='ACTION', required=True)

    c = command(ss, 'upload', 'create an image from a local file (streamed)', cmd_upload)
    c.add_argument('name', help='image name')
    c.add_argument('file', help='disk image file')
    c.add_argument('--disk-format', choices=DISK_FORMATS,
                   help='disk format (default: detected from the file, qcow2/iso/… or raw)')
    c.add_argument('--container-format', choices=CONTAINER_FORMATS, default='bare',
                   help='container format (default %(default)s)')
    c.add_argument('--visibility', choices=('private', 'shared', 'community', 'public'))
    c.add_argument('--min-disk', type=int, help='minimum disk GB to boot it')
    c.add_argument('--min-ram', type=int, help='minimum RAM MB to boot it')
    c.add_argument('--property', action='append', metavar='KEY=VALUE',
                   help='image property (repeatable)')

    c = command(ss, 'list', 'list images', cmd_list)
    c.add_argument('--name', help='only images with this name')

    c = command(ss, 'show', 'show one image', cmd_show)
    c.add_argument('image', help='image name or ID')

    c = command(ss, 'delete', 'delete images', cmd_delete)
    c.add_argument('image', nargs='+', help='image name or ID')
