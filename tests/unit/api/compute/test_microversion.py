"""How a request picks its microversion (iaas/api/compute/microversion.py)."""
import pytest

from iaas.api.compute import microversion as mv


def _versions(cloud, **headers):
    return cloud.compute.call('GET', '/v2.1/flavors', token=cloud.alice, headers=headers)


def test_no_header_is_the_minimum(cloud):
    r = _versions(cloud)
    assert r.status_int == 200
    assert r.headers['OpenStack-API-Version'] == 'compute 2.1'
    assert r.headers['X-OpenStack-Nova-API-Version'] == '2.1'
    assert 'OpenStack-API-Version' in r.headers['Vary']


@pytest.mark.parametrize('headers,expected', [
    ({'OpenStack-API-Version': 'compute 2.42'}, '2.42'),
    ({'OpenStack-API-Version': 'COMPUTE  2.42 '}, '2.42'),
    ({'X-OpenStack-Nova-API-Version': '2.17'}, '2.17'),
    # the new header wins over the legacy one
    ({'OpenStack-API-Version': 'compute 2.30', 'X-OpenStack-Nova-API-Version': '2.17'},
     '2.30'),
    # another service's version in the new header: the legacy one (or 2.1) counts
    ({'OpenStack-API-Version': 'volume 3.5', 'X-OpenStack-Nova-API-Version': '2.17'}, '2.17'),
    ({'OpenStack-API-Version': 'volume 3.5'}, '2.1'),
    ({'OpenStack-API-Version': 'compute latest'}, mv.fmt(mv.MAX_VERSION)),
    ({'X-OpenStack-Nova-API-Version': 'LATEST'}, mv.fmt(mv.MAX_VERSION)),
])
def test_version_headers(cloud, headers, expected):
    r = _versions(cloud, **headers)
    assert r.status_int == 200, r.body
    assert r.headers['OpenStack-API-Version'] == f'compute {expected}'
    assert r.headers['X-OpenStack-Nova-API-Version'] == expected


@pytest.mark.parametrize('raw', ['2.0', '1.1', '3.0', f'2.{mv.MAX_VERSION[1] + 1}'])
def test_out_of_range_is_406(cloud, raw):
    r = _versions(cloud, **{'OpenStack-API-Version': f'compute {raw}'})
    assert r.status_int == 406, r.body
    assert 'is not supported by the API' in r.body.decode()


@pytest.mark.parametrize('raw', ['2', '2.x', 'two.one', '2.1.1', ''])
def test_malformed_is_400(cloud, raw):
    r = _versions(cloud, **{'X-OpenStack-Nova-API-Version': raw})
    assert r.status_int == 400, r.body
    assert 'is of invalid format' in r.body.decode()


def test_version_document_names_the_range(cloud):
    r = cloud.compute.call('GET', '/v2.1', token=cloud.alice)
    assert r.status_int == 200, r.body
    v = r.json['version']
    assert (v['min_version'], v['version']) == ('2.1', mv.fmt(mv.MAX_VERSION))
