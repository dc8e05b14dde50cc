"""Large objects may not reach what their user cannot (issue 12, finding 4):
segments are read and deleted as the requesting user, the SLO size/etag
check leaks nothing, nesting is bounded and cycles refused."""
import json
import time
from io import BytesIO

import pytest
import requests


@pytest.fixture
def acct(store):
    """The victim's account with a private container and a container the
    attacker (test2:tester2) may read and write."""
    owner, url = store.token()
    attacker, _ = store.token('test2:tester2', 'testing2')
    o = {'X-Auth-Token': owner}
    assert requests.put(url + '/private', headers=o).status_code == 201
    assert requests.put(url + '/private/secret.txt', data=b'top secret',
                        headers=o).status_code == 201
    assert requests.put(url + '/shared', headers=dict(o, **{
        'X-Container-Read': 'test2:tester2', 'X-Container-Write': 'test2:tester2'}
    )).status_code == 201
    assert requests.put(url + '/shared/seg', data=b'public part',
                        headers=o).status_code == 201
    return {'url': url, 'owner': o, 'attacker': {'X-Auth-Token': attacker}, 'store': store}


def _slo(url, headers, segs):
    return requests.put(url + '?multipart-manifest=put', headers=headers,
                        data=json.dumps(segs))


def _secret_intact(acct):
    r = requests.get(acct['url'] + '/private/secret.txt', headers=acct['owner'])
    return r.status_code == 200 and r.content == b'top secret'


def test_slo_put_cannot_reference_unreadable_segments(acct):
    url, att = acct['url'], acct['attacker']
    r = _slo(url + '/shared/m', att, [{'path': '/private/secret.txt'}])
    assert r.status_code == 400
    assert requests.get(url + '/shared/m', headers=att).status_code == 404
    # the size check answers the same for a private object and a missing one
    answers = []
    for path in ('/private/secret.txt', '/private/nothing.txt'):
        r = _slo(url + '/shared/m', att, [{'path': path, 'size_bytes': 1}])
        answers.append((r.status_code, r.text.replace(path.lstrip('/'), 'PATH')))
    assert answers[0] == answers[1]
    r = _slo(url + '/shared/m', att, [{'path': '/shared/seg', 'size_bytes': 11}])
    assert r.status_code == 201
    assert requests.get(url + '/shared/m', headers=att).content == b'public part'


def test_manifests_do_not_read_unreadable_segments(acct):
    url, att, own = acct['url'], acct['attacker'], acct['owner']
    # the owner may write a manifest over its private data into the shared
    # container; the attacker may read the container but not the segments
    assert _slo(url + '/shared/owners', own, [{'path': '/shared/seg'},
                                              {'path': '/private/secret.txt'}]
                ).status_code == 201
    r = requests.get(url + '/shared/owners', headers=att)
    assert r.status_code in (403, 409) and b'secret' not in r.content
    r = requests.get(url + '/shared/owners', headers=dict(att, Range='bytes=11-'))
    assert r.status_code in (403, 409) and b'secret' not in r.content
    assert requests.get(url + '/shared/owners', headers=own).content == \
        b'public parttop secret'
    # DLO written by the attacker over the private container
    assert requests.put(url + '/shared/dlo', headers=dict(
        att, **{'X-Object-Manifest': 'private/secret'}), data=b'').status_code == 201
    r = requests.get(url + '/shared/dlo', headers=att)
    assert r.status_code in (403, 409) and b'secret' not in r.content
    # copying a manifest is reading its segments
    r = requests.put(url + '/shared/copy', headers=dict(att, **{
        'X-Copy-From': 'shared/owners'}), data=b'')
    assert r.status_code in (403, 409)
    assert requests.get(url + '/shared/copy', headers=own).status_code == 404


def test_manifest_delete_only_deletes_what_the_user_may(acct):
    url, att, own = acct['url'], acct['attacker'], acct['owner']
    assert _slo(url + '/shared/owners', own, [{'path': '/shared/seg'},
                                              {'path': '/private/secret.txt'}]
                ).status_code == 201
    r = requests.delete(url + '/shared/owners?multipart-manifest=delete', headers=att)
    assert r.status_code in (200, 403)
    assert _secret_intact(acct)
    if r.status_code == 200:
        assert r.json()['Errors'] == [['/private/secret.txt', '403 Forbidden']]


def test_nested_manifests_are_whole_and_bounded(acct):
    url, own = acct['url'], acct['owner']
    assert requests.put(url + '/shared/a', data=b'A' * 5, headers=own).status_code == 201
    assert _slo(url + '/shared/m1', own, [{'path': '/shared/a'}]).status_code == 201
    assert _slo(url + '/shared/m2', own, [{'path': '/shared/m1'}, {'path': '/shared/a'},
                                          {'path': '/shared/m1'}]).status_code == 201
    r = requests.get(url + '/shared/m2', headers=own)
    assert r.status_code == 200 and r.content == b'A' * 15
    assert requests.head(url + '/shared/m2', headers=own).headers['Content-Length'] == '15'
    r = requests.get(url + '/shared/m2', headers=dict(own, Range='bytes=3-11'))
    assert r.status_code == 206 and r.content == b'A' * 9
    # depth: ten levels are fine, an eleventh is stored (as Swift) but not read
    prev = 'm1'
    for level in range(2, 11):
        name = f'n{level}'
        assert _slo(url + f'/shared/{name}', own, [{'path': f'/shared/{prev}'}]
                    ).status_code == 201, level
        prev = name
    assert requests.get(url + f'/shared/{prev}', headers=own).content == b'A' * 5
    assert _slo(url + '/shared/n11', own, [{'path': f'/shared/{prev}'}]).status_code == 201
    r = requests.get(url + '/shared/n11', headers=own)
    assert r.status_code == 409 and b'<h1>Conflict</h1>' in r.content
    # a manifest that would include itself
    assert _slo(url + '/shared/self', own, [{'path': '/shared/self'}]).status_code == 400
    assert _slo(url + '/shared/a', own, [{'path': '/shared/m2'}]).status_code == 400
    assert _slo(url + '/shared/m1', own, [{'path': '/shared/m2'}]).status_code == 400
    assert requests.get(url + '/shared/m2', headers=own).content == b'A' * 15


def test_changed_segment_is_an_error_not_a_short_body(acct):
    url, own = acct['url'], acct['owner']
    assert requests.put(url + '/shared/p', data=b'P' * 10, headers=own).status_code == 201
    assert _slo(url + '/shared/mp', own, [{'path': '/shared/p'}]).status_code == 201
    assert requests.put(url + '/shared/p', data=b'short', headers=own).status_code == 201
    r = requests.get(url + '/shared/mp', headers=own)
    assert r.status_code == 409


def test_a_manifest_cycle_fails_fast(acct):
    """A cycle written behind the API's back (straight to the storage nodes)
    fails the GET at once instead of hanging."""
    store, url, own = acct['store'], acct['url'], acct['owner']
    a = url.rsplit('/', 1)[1]
    objs = store.proxy.objects

    def put_manifest(name, target, target_etag, etag):
        body = json.dumps([{'name': f'/shared/{target}', 'hash': target_etag, 'bytes': 5,
                            'sub_slo': True}]).encode()
        objs.put_stream(a, 'shared', name, {
            'Content-Type': 'application/octet-stream', 'X-Static-Large-Object': 'True',
            'X-Object-Sysmeta-Slo-Etag': etag, 'X-Object-Sysmeta-Slo-Size': '5'},
            BytesIO(body), len(body))
    put_manifest('c1', 'c2', 'e2', 'e1')
    put_manifest('c2', 'c1', 'e1', 'e2')
    start = time.monotonic()
    r = requests.get(url + '/shared/c1', headers=own, timeout=10)
    assert r.status_code == 409
    assert time.monotonic() - start < 5
