"""Range headers of image downloads (iaas.api.image.data)."""
import pytest

from iaas import wsgi
from iaas.api.image.data import _parse_range


@pytest.mark.parametrize('header, expect', [
    (None, None), ('', None), ('bytes=0-9', (0, 10)), ('bytes=5-', (5, 95)),
    ('bytes=-10', (90, 10)), ('bytes=-1000', (0, 100)), ('bytes=90-1000', (90, 10)),
    ('bytes=0-1,5-6', None), ('items=0-1', None),
])
def test_parse_range(header, expect):
    assert _parse_range(header, 100) == expect


@pytest.mark.parametrize('header', ['bytes=100-', 'bytes=50-40', 'bytes=-0'])
def test_unsatisfiable_range(header):
    with pytest.raises(wsgi.Fault) as exc:
        _parse_range(header, 100)
    assert exc.value.code == 416 and exc.value.headers['Content-Range'] == 'bytes */100'
