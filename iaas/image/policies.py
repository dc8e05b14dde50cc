"""The image API's policy rules (oslo.policy, defaults in code).

Named as Glance's (``image:`` + Glance's rule name). Each rule is checked
twice: by the router against the caller's own project (the route's
declared policy: "may this token do this kind of thing at all"), then by
the handler against the image, with the image's owner as ``project_id``
(:mod:`iaas.image.access`). Which images a project sees stays code:
its own, public, community, and shared ones it is a member of; another
project's image it cannot see is a 404, never a 403.

* reads (``get_image``, ``get_images``, ``download_image``,
  ``get_member(s)``): any role on the owner's project, or admin — or the
  image is visible to the caller by its visibility;
* changes (``add_image``, ``modify_image``, ``delete_image``,
  ``upload_image``, ``deactivate``, ``reactivate``, ``add_member``,
  ``delete_member``, ``communitize_image``): the member role on the
  owner's project, or admin (a reader only reads);
* ``publicize_image``: admin, as Glance; so are the listing of every
  project's images and the download of a deactivated image;
* ``modify_member`` (accept or reject a share): the member project itself.
"""

from iaas.policies import documented

READ = 'rule:project_reader'
WRITE = 'rule:project_member'
ADMIN = 'rule:admin_required'

IMAGE = '/v2/images/{image_id}'
MEMBERS = IMAGE + '/members'
MEMBER = MEMBERS + '/{member_id}'


def _rule(name, check, what, ops):
    return documented('image:' + name, check, what, ops)


RULES = [
    _rule('get_images', READ, 'List images.', [('GET', '/v2/images')]),
    _rule('get_images:all_projects', ADMIN,
          'List every project\'s images, private ones included.', [('GET', '/v2/images')]),
    _rule('get_image', READ, 'Show an image of the project (images visible by their '
          'visibility or a share are shown to any project).', [('GET', IMAGE)]),
    _rule('get_schemas', READ, 'Read the image JSON schemas.',
          [('GET', '/v2/schemas/{name}'), ('GET', '/v2/schemas/metadefs/{name}')]),
    _rule('add_image', WRITE, 'Create an image (owned by another project: admin).',
          [('POST', '/v2/images')]),
    _rule('modify_image', WRITE, 'Update an image or its tags (a new owner: admin).',
          [('PATCH', IMAGE), ('PUT', IMAGE + '/tags/{tag}'),
           ('DELETE', IMAGE + '/tags/{tag}')]),
    _rule('publicize_image', ADMIN, 'Give an image visibility "public".',
          [('POST', '/v2/images'), ('PATCH', IMAGE)]),
    _rule('communitize_image', WRITE, 'Give an image visibility "community".',
          [('POST', '/v2/images'), ('PATCH', IMAGE)]),
    _rule('delete_image', WRITE, 'Delete an image.', [('DELETE', IMAGE)]),
    _rule('upload_image', WRITE, 'Upload image data.', [('PUT', IMAGE + '/file')]),
    _rule('download_image', READ, 'Download image data (images visible by their '
          'visibility or a share: any project).', [('GET', IMAGE + '/file')]),
    _rule('download_image:deactivated', ADMIN, 'Download a deactivated image\'s data.',
          [('GET', IMAGE + '/file')]),
    _rule('deactivate', WRITE, 'Deactivate an image.',
          [('POST', IMAGE + '/actions/deactivate')]),
    _rule('reactivate', WRITE, 'Reactivate an image.',
          [('POST', IMAGE + '/actions/reactivate')]),
    _rule('get_members', READ, 'List an image\'s members (a member project: itself).',
          [('GET', MEMBERS)]),
    _rule('get_member', READ, 'Show a member of an image (a member project: itself).',
          [('GET', MEMBER)]),
    _rule('add_member', WRITE, 'Share an image with a project.', [('POST', MEMBERS)]),
    _rule('delete_member', WRITE, 'Stop sharing an image with a project.',
          [('DELETE', MEMBER)]),
    _rule('modify_member', WRITE, 'Accept or reject a share (the member project; the '
          'target\'s project_id is the member).', [('PUT', MEMBER)]),
]


def list_rules():
    return RULES
