"""tools/check_layering.py on small trees: each rule fails on a bad import
and passes a good tree; and the real tree passes."""
import importlib.util
import os
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
_spec = importlib.util.spec_from_file_location(
    'check_layering', os.path.join(ROOT, 'tools', 'check_layering.py'))
checker = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(checker)

# A minimal tree: two services, a shared package, a REST layer, drivers.
GOOD = {
    'iaas/__init__.py': '',
    'iaas/states.py': '',
    'iaas/db/__init__.py': '',
    'iaas/db/flavors.py': '',
    'iaas/common/__init__.py': '',
    'iaas/common/inspection.py': '',
    'iaas/conf/__init__.py': 'CONF = None\n',
    'iaas/image/__init__.py': '',
    'iaas/image/fetch.py': '',
    'iaas/image/stores/__init__.py': 'from iaas.conf import CONF\n',
    'iaas/compute/__init__.py': '',
    'iaas/compute/flavors.py': 'from iaas.db import flavors as db\n',
    'iaas/compute/image_client.py': 'from iaas.image import fetch\n',
    'iaas/compute/virt/__init__.py': '',
    'iaas/compute/virt/libvirt/__init__.py': '',
    'iaas/compute/virt/libvirt/imagecache.py': textwrap.dedent('''\
        from iaas import states
        from iaas.common import inspection
        from iaas.compute import image_client
        '''),
    'iaas/api/__init__.py': '',
    'iaas/api/compute/__init__.py': '',
    'iaas/api/compute/flavors.py': 'from iaas.compute import flavors\n',
    'iaas/api/ec2_auth.py': 'from iaas.compute import flavors\n',
    'iaas/api/identity/__init__.py': '',
    'iaas/api/identity/users.py': 'from iaas.identity import core\n',
    'iaas/identity/__init__.py': '',
    'iaas/identity/core.py': 'from iaas.db import flavors\n',   # a service: may
}


def tree(tmp_path, **changes):
    files = dict(GOOD)
    files.update({k.replace('__', '/') + '.py': v for k, v in changes.items()})
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return str(tmp_path)


def test_good_tree_passes(tmp_path):
    root = tree(tmp_path)
    assert checker.check(root) == []
    assert checker.main([root]) == 0


@pytest.mark.parametrize('text', [
    'from iaas.db import flavors\n',
    'import iaas.db.flavors\n',
    'from iaas import db\n',
    'def f():\n    from iaas.db import flavors\n',     # hidden in a function
])
@pytest.mark.parametrize('module', ['iaas/api/compute/flavors', 'iaas/api/identity/users',
                                    'iaas/api/ec2_auth'])
def test_rest_layer_importing_the_db_fails(tmp_path, text, module, capsys):
    # every module under iaas/api/ is a REST layer: per-service ones and the
    # shared helpers alike
    root = tree(tmp_path, **{module.replace('/', '__'): text})
    errors = [e for e in checker.check(root) if 'inside a function' not in e]
    assert len(errors) == 1 and 'a REST layer imports iaas.db' in errors[0]
    assert errors[0].startswith(os.path.join(*module.split('/')) + '.py')
    assert checker.main([root]) == 1
    assert 'REST layer' in capsys.readouterr().out


@pytest.mark.parametrize('text', [
    'from iaas.image import fetch\n',
    'from iaas import image\n',
    'import iaas.image.fetch\n',
])
def test_driver_importing_another_service_fails(tmp_path, text):
    root = tree(tmp_path, iaas__compute__virt__libvirt__imagecache=text)
    errors = checker.check(root)
    assert len(errors) == 1 and 'another service' in errors[0], errors


def test_store_driver_importing_compute_fails(tmp_path):
    root = tree(tmp_path, iaas__image__stores__file='from iaas.compute import flavors\n')
    assert ['another service' in e for e in checker.check(root)] == [True]


def test_driver_importing_the_db_fails(tmp_path):
    root = tree(tmp_path, iaas__compute__virt__fake='from iaas.db import flavors\n')
    assert any('a driver imports iaas.db' in e for e in checker.check(root))


def test_rpc_client_outside_rpcapi_fails(tmp_path):
    root = tree(tmp_path, iaas__compute__manager='import x\nc = x.RPCClient()\n')
    assert checker.check(root) == [f'{os.path.join("iaas", "compute", "manager.py")}:2: '
                                   'RPC client built outside rpcapi.py']


def test_the_source_tree_passes():
    assert checker.check(ROOT) == []


def test_compute_manager_reaching_the_db_through_another_module_fails(tmp_path):
    """The trust boundary: not only direct imports — a hypervisor host's
    manager that imports a helper that imports iaas.db fails, with the chain."""
    root = tree(tmp_path, iaas__compute__manager='from iaas.compute import flavors\n')
    errors = checker.check(root)
    assert len(errors) == 1, errors
    assert 'iaas.compute.manager: a hypervisor/network host module reaches the database: ' \
           'iaas.db.flavors <- iaas.compute.flavors <- iaas.compute.manager' in errors[0]


def test_network_manager_importing_the_db_inside_a_function_fails(tmp_path):
    root = tree(tmp_path, iaas__network____init__='',
                iaas__network__manager='def sync():\n    from iaas.db import flavors\n')
    errors = checker.check(root)
    assert any('reaches the database' in e for e in errors), errors
    assert all('iaas.network.manager' in e or 'network/manager.py' in e for e in errors), errors


def test_host_modules_through_the_conductor_pass(tmp_path):
    root = tree(tmp_path, iaas__conductor____init__='', iaas__conductor__rpcapi='',
                iaas__compute__manager='from iaas.conductor import rpcapi\n')
    assert checker.check(root) == []


def test_import_inside_a_function_fails(tmp_path):
    root = tree(tmp_path, iaas__compute__flavors='def f():\n    from iaas.common import inspection\n')
    errors = checker.check(root)
    assert len(errors) == 1 and 'inside a function' in errors[0], errors
    assert errors[0].startswith(os.path.join('iaas', 'compute', 'flavors.py') + ':2:')


def test_import_inside_a_function_allowed_where_listed(tmp_path):
    root = tree(tmp_path, iaas__cmd____init__='',
                iaas__cmd__daemons='def build():\n    from iaas.compute import flavors\n')
    assert checker.check(root) == []


@pytest.mark.parametrize('text', [
    'from iaas.api.compute import flavors\n',
    'import iaas.api.compute.flavors\n',
    'from iaas import api\n',
])
def test_service_logic_importing_a_rest_layer_fails(tmp_path, text):
    root = tree(tmp_path, iaas__compute__flavors=text)
    errors = checker.check(root)
    assert len(errors) == 1 and 'service logic imports iaas.api' in errors[0]
    assert errors[0].startswith(os.path.join('iaas', 'compute', 'flavors.py'))


def test_daemon_builders_may_import_rest_layers(tmp_path):
    root = tree(tmp_path, iaas__cmd__daemons='from iaas.api.compute import flavors\n')
    assert checker.check(root) == []
