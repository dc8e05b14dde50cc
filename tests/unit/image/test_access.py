"""One rule of which images a project may show or boot (iaas/image/access.py),
asked by the image API and by the compute API alike. As Glance: a project an
image is shared with may show and boot it whatever its member status; the
member status only decides what the list shows (accepted by default)."""
import pytest

from iaas.compute import api as compute_api
from iaas.context import RequestContext
from iaas.db import images as db
from iaas.image import access


def _ctx(project):
    return RequestContext(user_id='u-' + project, project_id=project, roles=['member'])


@pytest.fixture
def images(sqlite_db):
    out = {}
    for vis in ('private', 'shared', 'public', 'community'):
        out[vis] = db.image_create({'name': vis, 'owner': 'owner', 'visibility': vis,
                                    'status': 'active', 'disk_format': 'raw',
                                    'container_format': 'bare'})
    for member in ('pending', 'accepted', 'rejected'):
        db.member_create(out['shared']['id'], member)
        if member != 'pending':
            db.member_update(out['shared']['id'], member, member)
    return out


SEES = {  # project: visibilities it may show and boot
    'owner': {'private', 'shared', 'public', 'community'},
    'pending': {'shared', 'public', 'community'},
    'accepted': {'shared', 'public', 'community'},
    'rejected': {'shared', 'public', 'community'},
    'stranger': {'public', 'community'},
}


@pytest.mark.parametrize('project', sorted(SEES))
def test_the_image_service_and_the_compute_api_agree(images, project):
    ctx = _ctx(project)
    api = compute_api.API()
    for vis, image in images.items():
        visible = vis in SEES[project]
        assert access.can_see(ctx, image) is visible, vis
        if visible:
            assert api.image(ctx, image['id'])['id'] == image['id']
        else:
            with pytest.raises(compute_api.ComputeError, match='could not be found'):
                api.image(ctx, image['id'])


@pytest.mark.parametrize('project', ['pending', 'accepted', 'rejected'])
def test_the_list_shows_a_shared_image_only_once_accepted(images, project):
    listed = {i['name'] for i in db.image_list(project)}
    assert ('shared' in listed) is (project == 'accepted')
