"""iaas.compute.keypairs: generated keys, fingerprints, refused key data."""
import pytest

from iaas.compute import keypairs
from iaas.exception import InvalidKeyPair


@pytest.mark.parametrize('kind', ['rsa', 'ed25519'])
def test_generated_key_validates_to_its_fingerprint(kind):
    private, public = keypairs.generate(kind)
    assert 'PRIVATE KEY' in private and public.endswith(' Generated-by-iaas')
    fp = keypairs.validate_public_key(public)
    assert fp == keypairs.fingerprint(public)
    assert len(fp.split(':')) == 16


@pytest.mark.parametrize('bad', ['', 'ssh-rsa', 'ssh-rsa AAAA', 'ssh-rsa !!not-base64!!'])
def test_bad_public_key_refused(bad):
    with pytest.raises(InvalidKeyPair, match='Keypair data is invalid'):
        keypairs.validate_public_key(bad)
