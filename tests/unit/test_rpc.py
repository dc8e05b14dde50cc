from iaas import rpc


class Custom(Exception):
    pass


def test_builtin_roundtrip():
    exc = rpc.deserialize_exception(rpc.serialize_exception(ValueError('bad')))
    assert type(exc) is ValueError and str(exc) == 'bad'


def test_iaas_exception_roundtrip():
    exc = rpc.deserialize_exception(rpc.serialize_exception(rpc.RPCError('boom')))
    assert type(exc) is rpc.RPCError


def test_foreign_type_becomes_remote_error():
    failure = rpc.serialize_exception(Custom('x'))
    failure['module'] = 'os'  # a module outside iaas is never imported
    failure['class'] = 'system'
    exc = rpc.deserialize_exception(failure)
    assert isinstance(exc, rpc.RemoteError)
    assert 'os.system' in str(exc)


def test_non_exception_builtin_is_not_instantiated():
    exc = rpc.deserialize_exception({'class': 'print', 'module': 'builtins', 'message': 'm'})
    assert isinstance(exc, rpc.RemoteError)


def test_exposed_methods_is_an_allow_list():
    class M:
        @rpc.expose
        def a(self, ctx):
            pass

        def b(self, ctx):
            pass

    assert rpc.exposed_methods(M()) == {'a'}
