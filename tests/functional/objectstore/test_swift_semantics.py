"""Swift API details that clients (and Swift's own functional tests) rely
on: path decoding, headers, conditional requests, listings, ranges."""
import pytest
import requests


@pytest.fixture
def swift(store):
    tok, url = store.token()
    h = {'X-Auth-Token': tok}
    assert requests.put(url + '/c', headers=h).status_code == 201
    return store, url, h


def test_escaped_slash_is_a_slash(swift):
    _store, url, h = swift
    # PUT x%2Fy stores x/y (never an object literally named "x%2Fy")
    assert requests.put(url + '/c/x%2Fy', data=b'one', headers=h).status_code == 201
    assert requests.get(url + '/c?format=json', headers=h).json()[0]['name'] == 'x/y'
    assert requests.get(url + '/c/x/y', headers=h).content == b'one'
    # GET a%2Fb reads object a/b
    assert requests.put(url + '/c/a/b', data=b'two', headers=h).status_code == 201
    assert requests.get(url + '/c/a%2Fb', headers=h).content == b'two'
    assert requests.get(url + '/c/a%2fb', headers=h).content == b'two'
    # an escaped percent stays a percent: a%252Fb is the object "a%2Fb"
    assert requests.put(url + '/c/a%252Fb', data=b'three', headers=h).status_code == 201
    names = [o['name'] for o in requests.get(url + '/c?format=json', headers=h).json()]
    assert names == ['a%2Fb', 'a/b', 'x/y']
    assert requests.delete(url + '/c/x%2Fy', headers=h).status_code == 204
    assert requests.get(url + '/c/x/y', headers=h).status_code == 404
