import pytest


@pytest.fixture(autouse=True)
def identity_state(conf):
    from iaas import identity
    conf.set_override('bcrypt_rounds', 4, group='identity')
    identity.reset_state()
    yield conf
    identity.reset_state()
    conf.clear_override('bcrypt_rounds', group='identity')
