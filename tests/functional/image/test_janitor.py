"""The janitor: stale 'saving' images, undeleted data, crash leftovers."""
import os
import time

from iaas.db import images as db
from iaas.image import janitor, states


def test_stale_saving_image_goes_back_to_queued(image_conf):
    img = db.image_create({'name': 's', 'owner': 'p', 'disk_format': 'raw',
                           'container_format': 'bare'})
    assert db.image_cas_status(img['id'], 'queued', 'saving', reserved_size=500)
    fresh = db.image_create({'name': 'f', 'owner': 'p'})
    assert db.image_cas_status(fresh['id'], 'queued', 'saving', reserved_size=7)
    assert janitor.run_once(image_conf)['reset'] == []          # both still fresh
    time.sleep(0.05)
    out = janitor.run_once(image_conf, stale_after=0)
    assert sorted(out['reset']) == sorted([img['id'], fresh['id']])
    got = db.image_get(img['id'])
    assert got['status'] == 'queued' and got['reserved_size'] == 0
    assert db.project_usage('p') == 0


def test_pending_delete_retried_and_tmp_files_removed(image_conf):
    d = image_conf.image.filesystem_store_datadir
    os.makedirs(d)
    img = db.image_create({'name': 'x', 'owner': 'p'})
    path = os.path.join(d, img['id'])
    with open(path, 'wb') as f:
        f.write(b'data')
    db.location_add(img['id'], 'file', 'file://' + path)
    states.delete(img['id'])             # the location is now pending_delete
    assert db.pending_deletes()[0]['url'] == 'file://' + path
    old_tmp = os.path.join(d, '.abc.1234.tmp')
    new_tmp = os.path.join(d, '.def.5678.tmp')
    for p in (old_tmp, new_tmp):
        open(p, 'wb').close()
    os.utime(old_tmp, (time.time() - 3600, time.time() - 3600))
    out = janitor.run_once(image_conf)
    assert out['tmp_removed'] == ['.abc.1234.tmp']
    assert not os.path.exists(path) and os.path.exists(new_tmp)
    assert db.pending_deletes() == []


def test_upload_touches_its_image(client, monkeypatch):
    import threading
    monkeypatch.setattr(janitor, 'PROGRESS_INTERVAL', 0.05)
    img = client.create(name='slow')
    seen = []
    started = threading.Event()

    def body():
        for _ in range(5):
            yield b'\0' * (300 << 10)
            started.set()
            time.sleep(0.2)

    t = threading.Thread(target=lambda: seen.append(client.upload(img['id'], body())))
    t.start()
    assert started.wait(10)
    stamps = set()
    deadline = time.monotonic() + 10
    while t.is_alive() and time.monotonic() < deadline:
        rec = db.image_get(img['id'])
        if rec['status'] == 'saving':
            stamps.add(rec['updated_at'])
        time.sleep(0.05)
    t.join(10)
    assert seen[0].status_code == 204
    assert len(stamps) >= 2, stamps
