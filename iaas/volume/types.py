"""Volume types and their encryption specs for the REST layer: what the
database layer does, named for the service (the REST layer never imports
iaas.db)."""
from iaas.db import volume_types as db
from iaas.exception import InvalidVolume

get = db.get
create = db.create
update = db.update
delete = db.delete
list_ = db.list_
set_extra_specs = db.set_extra_specs
delete_extra_spec = db.delete_extra_spec
add_access = db.add_access
remove_access = db.remove_access

get_encryption = db.get_encryption
create_encryption = db.create_encryption
update_encryption = db.update_encryption
delete_encryption = db.delete_encryption
EncryptionNotFound = db.EncryptionNotFound


def refuse_encrypted(vtype):
    """InvalidVolume (400) when the type has an encryption spec: this cloud
    has no key manager and encrypts nothing, so it makes no volume that its
    type says is encrypted (Cinder would make an encrypted one)."""
    if db.encryption_of(vtype['uuid']) is not None:
        raise InvalidVolume(f'Invalid volume type: volume type {vtype["name"]} has an '
                            f'encryption spec, and encrypted volumes are not supported '
                            f'by this cloud (no key manager).')
