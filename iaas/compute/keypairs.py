"""Key pairs: generation, fingerprints and the per-user records (errors:
:mod:`iaas.exception` ``KeyPair*``, ``QuotaExceeded``, ``InvalidKeyPair``)."""
import base64
import binascii
import hashlib

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from iaas.db import keypairs as db
from iaas.exception import InvalidKeyPair

create = db.create
get = db.get
list_ = db.list_
delete = db.delete


def fingerprint(public_key):
    """Nova's fingerprint: MD5 of the key blob, colon-separated hex."""
    parts = public_key.strip().split()
    if len(parts) < 2:
        raise ValueError('not an OpenSSH public key')
    blob = base64.b64decode(parts[1])
    digest = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    return ':'.join(digest[i:i + 2] for i in range(0, 32, 2))


def validate_public_key(public_key):
    """The fingerprint of an OpenSSH public key; InvalidKeyPair otherwise."""
    try:
        serialization.load_ssh_public_key(public_key.strip().encode())
        return fingerprint(public_key)
    except (ValueError, TypeError, IndexError, binascii.Error, UnsupportedAlgorithm):
        raise InvalidKeyPair('Keypair data is invalid: failed to generate fingerprint') \
            from None


def generate(kind='rsa'):
    """(private key PEM/OpenSSH text, public key line) of a new key pair."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048) if kind == 'rsa' \
        else ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.TraditionalOpenSSL
                                if kind == 'rsa' else serialization.PrivateFormat.OpenSSH,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                           serialization.PublicFormat.OpenSSH).decode()
    return private, public + ' Generated-by-iaas'
