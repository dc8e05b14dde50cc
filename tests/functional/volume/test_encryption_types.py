"""Volume type encryption specs (Cinder's /types/{id}/encryption): stored and
shown, admin only, never acted on -- a volume of a type with a spec is
refused, since this cloud encrypts nothing (no key manager)."""
SPEC = {'provider': 'LuksEncryptor', 'key_size': 256, 'cipher': 'aes-xts-plain64',
        'control_location': 'front-end'}


def _admin(cloud, method, path, body=None):
    return cloud.v(method, path, body, cloud.admin, cloud.admin_project)


def _type(cloud, name='enc'):
    r = _admin(cloud, 'POST', '/types', {'volume_type': {'name': name}})
    assert r.status_int == 200, r.body
    return r.json['volume_type']['id']


def test_create_show_update_delete(cloud):
    tid = _type(cloud)
    assert _admin(cloud, 'GET', f'/types/{tid}/encryption').json == {}
    r = _admin(cloud, 'POST', f'/types/{tid}/encryption', {'encryption': SPEC})
    assert r.status_int == 200, r.body
    enc = r.json['encryption']
    assert set(enc) == set(SPEC) | {'volume_type_id', 'encryption_id'}
    assert {k: enc[k] for k in SPEC} == SPEC and enc['volume_type_id'] == tid
    shown = _admin(cloud, 'GET', f'/types/{tid}/encryption').json
    assert {k: shown[k] for k in SPEC} == SPEC
    assert shown['encryption_id'] == enc['encryption_id'] and shown['deleted'] is False
    assert shown['created_at'] and shown['deleted_at'] is None

    # a second spec for the type: 400 (Cinder's VolumeTypeEncryptionExists)
    r = _admin(cloud, 'POST', f'/types/{tid}/encryption', {'encryption': SPEC})
    assert r.status_int == 400 and 'already exists' in r.body.decode()

    new = {'key_size': 128, 'provider': 'SomeProvider', 'cipher': 'aes-xts-plain64',
           'control_location': 'back-end'}
    r = _admin(cloud, 'PUT', f"/types/{tid}/encryption/{enc['encryption_id']}",
               {'encryption': new})
    assert r.status_int == 200 and r.json == {'encryption': new}, r.body
    shown = _admin(cloud, 'GET', f'/types/{tid}/encryption').json
    assert {k: shown[k] for k in new} == new
    assert _admin(cloud, 'GET', f'/types/{tid}/encryption/cipher').json == {
        'cipher': 'aes-xts-plain64'}
    assert _admin(cloud, 'GET', f'/types/{tid}/encryption/nope').status_int == 404
    # python-cinderclient's paths: the type's id, or "provider", as the spec's id
    r = _admin(cloud, 'PUT', f'/types/{tid}/encryption/{tid}', {'encryption': {
        'key_size': '512'}})
    assert r.status_int == 200 and r.json == {'encryption': {'key_size': 512}}
    assert _admin(cloud, 'DELETE', f'/types/{tid}/encryption/provider').status_int == 202
    assert _admin(cloud, 'GET', f'/types/{tid}/encryption').json == {}
    assert _admin(cloud, 'DELETE', f'/types/{tid}/encryption/x').status_int == 404
    assert _admin(cloud, 'PUT', f'/types/{tid}/encryption/x',
                  {'encryption': new}).status_int == 404
    # and again after the delete; the type's delete takes the spec with it
    assert _admin(cloud, 'POST', f'/types/{tid}/encryption',
                  {'encryption': SPEC}).status_int == 200
    assert _admin(cloud, 'DELETE', f'/types/{tid}').status_int == 202
    assert _admin(cloud, 'GET', f'/types/{tid}/encryption').status_int == 404


def test_bad_input_and_missing_type(cloud):
    tid = _type(cloud)
    missing = '2b1c2b4b-3c9f-4a6e-9d3c-2f0e1f5a7b61'
    r = _admin(cloud, 'POST', f'/types/{missing}/encryption', {'encryption': SPEC})
    assert r.status_int == 404
    assert _admin(cloud, 'GET', f'/types/{missing}/encryption').status_int == 404
    for bad in ({'provider': 'luks'}, {'control_location': 'front-end'},
                {**SPEC, 'control_location': 'middle'}, {**SPEC, 'provider': ''},
                {**SPEC, 'provider': 'a b'}, {**SPEC, 'provider': '../../x'},
                {**SPEC, 'provider': 'x' * 256}, {**SPEC, 'key_size': -1},
                {**SPEC, 'key_size': 'abc'}, {**SPEC, 'key_size': True},
                {**SPEC, 'key_size': 2 ** 40}, {**SPEC, 'key_size': '99999999999'},
                {**SPEC, 'cipher': 'aes xts'}, {**SPEC, 'cipher': 'c' * 256},
                {**SPEC, 'other': 1}, {**SPEC, 'provider': None}):
        r = _admin(cloud, 'POST', f'/types/{tid}/encryption', {'encryption': bad})
        assert r.status_int == 400, (bad, r.status_int, r.body)
    for body in (None, [], {'encryption': None}, {'encryption': []}, {'x': {}}):
        r = _admin(cloud, 'POST', f'/types/{tid}/encryption', body)
        assert r.status_int == 400, (body, r.body)
    assert _admin(cloud, 'GET', f'/types/{tid}/encryption').json == {}
    for provider in ('luks', 'luks2', 'plain', 'nova.volume.encryptors.luks.LuksEncryptor'):
        r = _admin(cloud, 'PUT', f'/types/{tid}/encryption/x', {'encryption': {
            'provider': provider}})
        assert r.status_int == 404          # no spec yet
    r = _admin(cloud, 'POST', f'/types/{tid}/encryption', {'encryption': {
        'provider': 'luks2', 'control_location': 'back-end', 'cipher': None,
        'key_size': None}})
    assert r.status_int == 200, r.body


def test_admin_only(cloud):
    tid = _type(cloud)
    assert _admin(cloud, 'POST', f'/types/{tid}/encryption',
                  {'encryption': SPEC}).status_int == 200
    for token, project in ((cloud.alice, cloud.a_project), (cloud.reader, cloud.a_project)):
        for method, path, body in (
                ('GET', f'/types/{tid}/encryption', None),
                ('GET', f'/types/{tid}/encryption/cipher', None),
                ('POST', f'/types/{tid}/encryption', {'encryption': SPEC}),
                ('PUT', f'/types/{tid}/encryption/x', {'encryption': {'key_size': 1}}),
                ('DELETE', f'/types/{tid}/encryption/x', None)):
            r = cloud.v(method, path, body, token, project)
            assert r.status_int == 403, (method, path, r.status_int)
    assert _admin(cloud, 'GET', f'/types/{tid}/encryption').json['key_size'] == 256


def test_no_volume_of_an_encrypted_type(cloud):
    tid = _type(cloud)
    assert _admin(cloud, 'POST', f'/types/{tid}/encryption',
                  {'encryption': SPEC}).status_int == 200
    r = cloud.v('POST', '/volumes', {'volume': {'size': 1, 'volume_type': tid}})
    assert r.status_int == 400, r.body
    fault = r.json['badRequest']
    assert fault['code'] == 400 and 'encrypted volumes are not supported' in fault['message']
    assert cloud.v('GET', '/volumes').json['volumes'] == []
    # nor by retype; a plain volume says it is not encrypted
    vol = cloud.create(size=1)
    assert vol['encrypted'] is False
    cloud.wait_status(vol['id'], 'available')
    r = cloud.v('POST', f"/volumes/{vol['id']}/action",
                {'os-retype': {'new_type': tid, 'migration_policy': 'never'}})
    assert r.status_int == 400 and 'not supported' in r.body.decode()
    assert cloud.v('GET', f"/volumes/{vol['id']}").json['volume']['encrypted'] is False


def test_refused_while_the_type_is_in_use(cloud):
    tid = _type(cloud)
    vol = cloud.create(size=1, volume_type=tid)
    cloud.wait_status(vol['id'], 'available')
    r = _admin(cloud, 'POST', f'/types/{tid}/encryption', {'encryption': SPEC})
    assert r.status_int == 400 and 'Volume type in use' in r.body.decode()
    assert _admin(cloud, 'GET', f'/types/{tid}/encryption').json == {}
    assert cloud.v('DELETE', f"/volumes/{vol['id']}").status_int == 202
    cloud.wait_status(vol['id'], 'deleted')
    assert _admin(cloud, 'POST', f'/types/{tid}/encryption',
                  {'encryption': SPEC}).status_int == 200
