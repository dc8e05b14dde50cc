#!/usr/bin/env python3
"""Layering rules of ARCHITECTURE.md, checked on the source text.

* Drivers (packages named virt, stores, drivers, backends, and
  network/linux_net*.py) import nothing from iaas.db, iaas.api, iaas.rpc.
* Only rpcapi.py modules (and iaas/rpc.py itself) construct RPC clients.
"""
import ast
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DRIVER_DIRS = {'virt', 'stores', 'drivers', 'backends'}
DRIVER_FORBIDDEN = ('iaas.db', 'iaas.api', 'iaas.rpc')


def imports(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield node.lineno, a.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
            for a in node.names:
                yield node.lineno, f'{node.module}.{a.name}'


def is_driver(rel):
    parts = rel.split(os.sep)
    return bool(DRIVER_DIRS & set(parts[:-1])) or \
        (len(parts) > 2 and parts[1] == 'network' and parts[-1].startswith('linux_net'))


def main():
    errors = []
    for dirpath, _dirs, files in os.walk(os.path.join(ROOT, 'iaas')):
        for name in files:
            if not name.endswith('.py'):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, ROOT)
            tree = ast.parse(open(path, encoding='utf-8').read(), rel)
            if is_driver(rel):
                for lineno, mod in imports(tree):
                    if mod.startswith(DRIVER_FORBIDDEN):
                        errors.append(f'{rel}:{lineno}: a driver imports {mod}')
            if name != 'rpcapi.py' and rel != os.path.join('iaas', 'rpc.py'):
                for node in ast.walk(tree):
                    if isinstance(node, ast.Call):
                        f = node.func
                        fname = f.attr if isinstance(f, ast.Attribute) else \
                            getattr(f, 'id', '')
                        if fname == 'RPCClient':
                            errors.append(f'{rel}:{node.lineno}: RPC client built outside '
                                          'rpcapi.py')
    for e in errors:
        print(e)
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
