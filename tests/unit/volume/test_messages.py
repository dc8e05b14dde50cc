"""Which ending of which operation leaves a user message, and what it says
(Cinder's event ids and texts); a message that cannot be written never
fails the operation."""
import pytest

from iaas.context import RequestContext
from iaas.volume import messages as m

CTX = RequestContext(user_id='u', project_id='p', request_id='req-1')
VOL = {'uuid': 'v-1', 'project_id': 'p', 'image_id': None, 'backup_id': None, 'fault': None}


@pytest.fixture
def recorded(monkeypatch, conf):
    out = []
    monkeypatch.setattr(m.db, 'create', lambda values: out.append(values) or values)
    return out


def _events(recorded):
    return [r['event_id'] for r in recorded]


@pytest.mark.parametrize('row,expected,status,values,event', [
    (VOL, 'creating', 'error', {'fault': 'x'}, 'VOLUME_VOLUME_008_012'),
    (dict(VOL, image_id='i'), 'creating', 'error', {'fault': 'qemu-img failed'},
     'VOLUME_VOLUME_005_001'),
    (dict(VOL, image_id='i'), 'creating', 'error',
     {'fault': 'create failed: image is larger than the volume'}, 'VOLUME_VOLUME_005_007'),
    (VOL, 'extending', 'error_extending', {}, 'VOLUME_VOLUME_007_010'),
    (VOL, 'downloading', 'error', {}, 'VOLUME_VOLUME_016_028'),
    (VOL, 'uploading', 'available', {'fault': 'upload failed'}, 'VOLUME_VOLUME_003_004'),
    (VOL, 'reserved', 'available', {'fault': 'timed out'}, 'VOLUME_VOLUME_002_021'),
])
def test_volume_failures(recorded, row, expected, status, values, event):
    m.volume_ended(CTX, row, expected, status, values)
    assert _events(recorded) == [event]
    r = recorded[0]
    assert (r['project_id'], r['resource_uuid'], r['resource_type'], r['request_id'],
            r['message_level']) == ('p', 'v-1', 'VOLUME', 'req-1', 'ERROR')


@pytest.mark.parametrize('row,expected,status,values', [
    (VOL, 'creating', 'available', {}),                       # success
    (VOL, 'extending', 'in-use', {}),
    (VOL, 'uploading', 'available', {}),                      # upload done
    (VOL, 'backing-up', 'available', {}),                     # told on the backup
    (dict(VOL, backup_id='b'), 'creating', 'error', {}),      # a restore: on the backup
    (VOL, 'restoring-backup', 'error_restoring', {}),
    (VOL, 'deleting', 'error_deleting', {}),                  # Cinder has no such message
    (VOL, 'available', 'error', {}),                          # no operation ran
])
def test_no_message(recorded, row, expected, status, values):
    m.volume_ended(CTX, row, expected, status, values)
    assert recorded == []


def test_snapshots_and_backups(recorded):
    row = {'uuid': 's-1', 'project_id': 'p'}
    m.snapshot_ended(CTX, row, 'creating', 'error')
    m.snapshot_ended(CTX, row, 'creating', 'available')
    m.snapshot_ended(CTX, row, 'deleting', 'error_deleting')
    m.backup_ended(CTX, row, 'creating', 'error', {'fail_reason': 'x'})
    m.backup_ended(CTX, row, 'restoring', 'available', {'fail_reason': 'bad chunk'})
    m.backup_ended(CTX, row, 'restoring', 'available', {})
    m.backup_ended(None, row, 'deleting', 'error_deleting', {})
    assert _events(recorded) == ['VOLUME_VOLUME_SNAPSHOT_009_013',
                                 'VOLUME_VOLUME_SNAPSHOT_010_016',
                                 'VOLUME_VOLUME_BACKUP_013_020', 'VOLUME_VOLUME_BACKUP_015_026',
                                 'VOLUME_VOLUME_BACKUP_014_025']
    # the reaper has no request: the message gets a request id of its own
    assert recorded[-1]['request_id'].startswith('req-')


def test_texts():
    msg = {'action_id': '001', 'detail_id': '003'}
    assert m.user_message(msg) == ('schedule allocate volume:Could not find any available '
                                   'weighted backend.')
    assert m.user_message({'action_id': '999', 'detail_id': None}) == \
        'unknown action:An unknown error occurred.'


def test_a_failed_write_is_logged_not_raised(monkeypatch, conf, caplog):
    def broken(values):
        raise RuntimeError('database gone')
    monkeypatch.setattr(m.db, 'create', broken)
    assert m.record(CTX, m.VOLUME, VOL, m.ATTACH_VOLUME, m.ATTACH_ERROR) is None
    assert 'not recorded' in caplog.text
