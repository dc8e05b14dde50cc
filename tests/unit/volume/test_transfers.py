"""Volume transfers' pieces that need no database: the key's hash, the
transfer's place in the state table, the request schemas."""
import pytest

from iaas import wsgi
from iaas.api.volume import transfers as rest
from iaas.volume import states, transfers


def test_the_key_is_kept_as_a_salted_hash():
    h = transfers.crypt_hash('salt1', 'key')
    assert h == transfers.crypt_hash('salt1', 'key') and 'key' not in h
    assert h != transfers.crypt_hash('salt2', 'key') != transfers.crypt_hash('salt1', 'kez')


def test_awaiting_transfer_rests_until_a_user_ends_it():
    op = states.op('volume', 'transfer')
    assert (op.begin, op.during, op.success, op.failure) == (
        (states.AVAILABLE,), states.AWAITING_TRANSFER, states.AVAILABLE, states.AVAILABLE)
    assert states.AWAITING_TRANSFER in states.VOLUME_STATUSES
    # neither the reaper nor a restarting volume host ends it
    assert states.AWAITING_TRANSFER not in states.TRANSITIONAL
    # a volume awaiting a transfer cannot be deleted (or transferred again)
    assert states.AWAITING_TRANSFER not in states.op('volume', 'delete').begin


@pytest.mark.parametrize('schema, body, ok', [
    (rest.CREATE, {'transfer': {'volume_id': 'v', 'name': None}}, True),
    (rest.CREATE, {'transfer': {'volume_id': 'v', 'no_snapshots': True}}, False),
    (rest.CREATE_355, {'transfer': {'volume_id': 'v', 'no_snapshots': 'true'}}, True),
    (rest.CREATE_355, {'transfer': {'volume_id': 'v', 'no_snapshots': 'maybe'}}, False),
    (rest.ACCEPT, {'accept': {'auth_key': 'abc'}}, True),
    (rest.ACCEPT, {'accept': {'auth_key': 123}}, True),
    (rest.ACCEPT, {'accept': {}}, False),
    (rest.ACCEPT, {'accept': {'auth_key': 'k'}, 'other': 1}, False),
])
def test_request_schemas(schema, body, ok):
    if ok:
        wsgi.validate(body, schema)
    else:
        with pytest.raises(wsgi.BadRequest):
            wsgi.validate(body, schema)
