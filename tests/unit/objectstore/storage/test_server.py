import json
import os

import webob

from iaas.objectstore.storage import db, diskfile
from iaas.objectstore.storage.server import StorageServer
from iaas.objectstore.utils import normalize_timestamp


def _server(tmp_path):
    (tmp_path / 'd1').mkdir()
    return StorageServer(str(tmp_path), ring=None, fsync=False, addr=('127.0.0.1', 1))


def _req(app, method, path, body=None, **headers):
    req = webob.Request.blank(path, method=method, headers=headers)
    if body is not None:
        req.body = body
    return req.get_response(app)


def test_object_roundtrip_range_and_conditional(tmp_path):
    app = _server(tmp_path)
    ts = normalize_timestamp()
    r = _req(app, 'PUT', '/obj/d1/3/a/c/o/x', b'hello world', **{
        'X-Timestamp': ts, 'Content-Type': 'text/plain', 'X-Object-Meta-Color': 'blue'})
    assert r.status_int == 201
    etag = r.headers['ETag']
    r = _req(app, 'GET', '/obj/d1/3/a/c/o/x')
    assert r.body == b'hello world' and r.headers['X-Object-Meta-Color'] == 'blue'
    assert r.headers['Content-Type'] == 'text/plain'
    r = _req(app, 'GET', '/obj/d1/3/a/c/o/x', Range='bytes=6-')
    assert r.status_int == 206 and r.body == b'world'
    r = _req(app, 'GET', '/obj/d1/3/a/c/o/x', **{'If-None-Match': f'"{etag}"'})
    assert r.status_int == 304
    r = _req(app, 'HEAD', '/obj/d1/3/a/c/o/x')
    assert r.headers['Content-Length'] == '11' and r.body == b''
    # POST replaces user metadata
    r = _req(app, 'POST', '/obj/d1/3/a/c/o/x', **{
        'X-Timestamp': normalize_timestamp(), 'X-Object-Meta-Size': 'big'})
    assert r.status_int == 202
    r = _req(app, 'HEAD', '/obj/d1/3/a/c/o/x')
    assert r.headers['X-Object-Meta-Size'] == 'big'
    assert 'X-Object-Meta-Color' not in r.headers
    # old timestamps lose
    r = _req(app, 'PUT', '/obj/d1/3/a/c/o/x', b'old', **{'X-Timestamp': '1.0'})
    assert r.status_int == 409
    r = _req(app, 'DELETE', '/obj/d1/3/a/c/o/x', **{'X-Timestamp': normalize_timestamp()})
    assert r.status_int == 204
    r = _req(app, 'GET', '/obj/d1/3/a/c/o/x')
    assert r.status_int == 404 and r.headers['X-Backend-Timestamp']


def test_etag_mismatch_and_no_partial_object(tmp_path):
    app = _server(tmp_path)
    r = _req(app, 'PUT', '/obj/d1/3/a/c/o', b'data', **{
        'X-Timestamp': normalize_timestamp(), 'ETag': 'f' * 32})
    assert r.status_int == 422
    assert _req(app, 'GET', '/obj/d1/3/a/c/o').status_int == 404
    assert os.listdir(tmp_path / 'd1' / 'tmp') == []


def test_metadata_lives_in_the_data_file_and_corruption_quarantines(tmp_path):
    app = _server(tmp_path)
    meta = {'X-Object-Meta-K%d' % i: 'v' * 200 for i in range(20)}   # > 4 KiB
    _req(app, 'PUT', '/obj/d1/3/a/c/o', b'x' * 100, **{'X-Timestamp': normalize_timestamp(),
                                                      **meta})
    r = _req(app, 'HEAD', '/obj/d1/3/a/c/o')
    assert r.headers['X-Object-Meta-K19'] == 'v' * 200
    h = app._hash('a', 'c', 'o')
    odir = diskfile.object_dir(str(tmp_path / 'd1'), 3, h)
    data = os.path.join(odir, os.listdir(odir)[0])
    with open(data, 'r+b') as f:      # break the trailer
        f.seek(-3, 2)
        f.write(b'zzz')
    assert _req(app, 'GET', '/obj/d1/3/a/c/o').status_int == 404
    assert os.listdir(tmp_path / 'd1' / 'quarantined' / 'objects')


def test_container_and_account_listing(tmp_path):
    app = _server(tmp_path)
    ts = normalize_timestamp()
    assert _req(app, 'PUT', '/cont/d1/1/a/c', **{'X-Timestamp': ts,
                                                  'X-Container-Meta-X': 'y'}).status_int == 201
    assert _req(app, 'PUT', '/cont/d1/1/a/c', **{'X-Timestamp': ts}).status_int == 202
    for name in ['a/1', 'a/2', 'b', 'c/x/y', 'd']:
        r = _req(app, 'PUT', f'/cont/d1/1/a/c/{name}', **{
            'X-Timestamp': normalize_timestamp(), 'X-Size': '3', 'X-Etag': 'e',
            'X-Content-Type': 'text/plain'})
        assert r.status_int == 201
    r = _req(app, 'GET', '/cont/d1/1/a/c')
    assert [o['name'] for o in r.json] == ['a/1', 'a/2', 'b', 'c/x/y', 'd']
    assert r.headers['X-Container-Object-Count'] == '5'
    assert r.headers['X-Container-Bytes-Used'] == '15'
    assert r.headers['X-Container-Meta-X'] == 'y'
    r = _req(app, 'GET', '/cont/d1/1/a/c?delimiter=/')
    assert [o.get('name') or o.get('subdir') for o in r.json] == ['a/', 'b', 'c/', 'd']
    r = _req(app, 'GET', '/cont/d1/1/a/c?delimiter=/&reverse=on')
    assert [o.get('name') or o.get('subdir') for o in r.json] == ['d', 'c/', 'b', 'a/']
    r = _req(app, 'GET', '/cont/d1/1/a/c?prefix=a/&limit=1')
    assert [o['name'] for o in r.json] == ['a/1']
    r = _req(app, 'GET', '/cont/d1/1/a/c?marker=a/2&end_marker=d')
    assert [o['name'] for o in r.json] == ['b', 'c/x/y']
    r = _req(app, 'DELETE', '/cont/d1/1/a/c/b', **{'X-Timestamp': normalize_timestamp()})
    assert _req(app, 'HEAD', '/cont/d1/1/a/c').headers['X-Container-Object-Count'] == '4'
    assert _req(app, 'DELETE', '/cont/d1/1/a/c', **{
        'X-Timestamp': normalize_timestamp()}).status_int == 409
    # account rows
    r = _req(app, 'PUT', '/acct/d1/2/a/c', **{'X-Put-Timestamp': ts, 'X-Object-Count': '4',
                                               'X-Bytes-Used': '12'})
    assert r.status_int == 201
    r = _req(app, 'GET', '/acct/d1/2/a')
    assert r.json[0]['name'] == 'c' and r.headers['X-Account-Object-Count'] == '4'


def test_db_merge_converges(tmp_path):
    b1 = db.ContainerBroker(str(tmp_path / 'one.db'))
    b2 = db.ContainerBroker(str(tmp_path / 'two.db'))
    for b in (b1, b2):
        b.initialize('1', {'account': 'a', 'container': 'c', 'put_timestamp': '1'})
    b1.put_object('o', '2', 5, 't', 'e')
    b2.put_object('o', '3', 0, '', '', deleted=1)
    b2.put_object('p', '3', 7, 't', 'e')
    b1.merge_items([{k: v for k, v in r.items() if k != 'ROWID'} for r in b2.rows_since(-1)])
    b2.merge_items([{k: v for k, v in r.items() if k != 'ROWID'} for r in b1.rows_since(-1)])
    assert b1.content_hash() == b2.content_hash()
    assert b1.get_info()['object_count'] == 1 and b1.get_info()['bytes_used'] == 7
    assert json.dumps(b1.list(10)) == json.dumps(b2.list(10))


def test_delimiter_listing_pages_past_a_subdir(tmp_path):
    b = db.ContainerBroker(str(tmp_path / 'c.db'))
    b.initialize('1', {'account': 'a', 'container': 'c', 'put_timestamp': '1'})
    for n in ['a', 'p/1', 'p/2', 'q']:
        b.put_object(n, '2', 1, 't', 'e')
    first = b.list(2, delimiter='/')
    assert first == [dict(first[0]), {'subdir': 'p/'}] and first[0]['name'] == 'a'
    assert [r.get('name') for r in b.list(2, marker='p/', delimiter='/')] == ['q']


def test_old_tombstones_are_reclaimed(tmp_path):
    df = diskfile.DiskFile(str(tmp_path / 'd1'), 1, 'a' * 32, fsync=False)
    df.write_tombstone(normalize_timestamp(1000), '/a/c/o')
    assert not os.path.exists(df.dir)
    df.write_tombstone(normalize_timestamp(), '/a/c/o')
    assert os.listdir(df.dir)


def test_pool_drops_connections_the_server_closed():
    import socket
    import threading

    from iaas.objectstore import client
    srv = socket.socket()
    srv.bind(('127.0.0.1', 0))
    srv.listen(4)
    port = srv.getsockname()[1]
    accepted = []
    t = threading.Thread(target=lambda: accepted.append(srv.accept()[0]))
    t.start()
    pool = client.Pool()
    conn, reused = pool.get('127.0.0.1', port, 1, 1)
    assert not reused
    pool.put('127.0.0.1', port, conn)
    t.join(5)
    accepted[0].close()              # the server side goes away
    threading.Event().wait(0.1)
    t = threading.Thread(target=lambda: accepted.append(srv.accept()[0]))
    t.start()
    conn2, reused = pool.get('127.0.0.1', port, 1, 1)
    assert not reused and conn2 is not conn
    t.join(5)
    conn2.close()
    srv.close()
