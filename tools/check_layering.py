#!/usr/bin/env python3
"""Layering rules of ARCHITECTURE.md, checked on the source text.

* Drivers (packages named virt, stores, drivers, backends, and
  network/linux_net*.py) import nothing from iaas.db, iaas.api, iaas.rpc,
  and no other service package: only the shared packages
  (:data:`SHARED_PACKAGES`), top-level modules (``iaas.states``…) and their
  own service's package (``iaas/compute/virt/…`` → ``iaas.compute``).
* The REST layers (:data:`REST_LAYERS`) import nothing from iaas.db: they
  call their service's internal API.
* Service logic imports no REST layer (only :data:`REST_IMPORTERS`, which
  build the applications, do).
* Only rpcapi.py modules (and iaas/rpc.py itself) construct RPC clients.
* Modules import iaas code at their top, not inside functions (an import
  hidden in a function dodges a cycle instead of fixing it); only the
  modules of :data:`LAZY_IMPORTS` load parts on demand, each for the reason
  given there.
* Hypervisor and network hosts hold no database credentials: nothing the
  modules of :data:`HOST_MODULES` import, directly or through others (the
  whole import closure, imports inside functions included), is under
  iaas.db.

``check(root)`` returns the violations of the tree under ``root``.
"""
import ast
import functools
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DRIVER_DIRS = {'virt', 'stores', 'drivers', 'backends'}
DRIVER_FORBIDDEN = ('iaas.db', 'iaas.api', 'iaas.rpc')
# Packages under iaas/ that belong to no service: any layer may import them.
SHARED_PACKAGES = {'common', 'conf', 'privileged'}
# The HTTP layers that reach state only through their service's API.
# Every API's HTTP code lives under iaas/api/<service>/ (plus the shared
# iaas/api/*.py helpers): all of it reaches state through its service.
# The web dashboard is a presentation layer too: it reaches state only
# through the public APIs (with the user's token), never the database.
REST_LAYERS = ('iaas/api', 'iaas/dashboard')
REST_FORBIDDEN = ('iaas.db',)
# Service logic does not import the REST layers; only what serves the
# applications does (the daemon builders, the standalone object store).
REST_IMPORTERS = ('iaas/cmd', 'iaas/objectstore/daemon.py')
# What iaas-compute, iaas-network and iaas-volume run: their managers and every module
# under these packages/paths (drivers, host-side helpers).
HOST_MODULES = ('iaas.compute.manager', 'iaas.network.manager', 'iaas.volume.manager')
HOST_TREES = ('iaas/compute/virt', 'iaas/volume/drivers', 'iaas/network/linux_net.py',
              'iaas/network/dhcp.py',
              'iaas/network/firewall.py', 'iaas/network/ipsets.py',
              'iaas/network/metadata_proxy.py')
HOST_FORBIDDEN = ('iaas.db',)
# Modules allowed to import iaas code inside functions, and why.
LAZY_IMPORTS = {
    'iaas/cmd/daemons.py': 'each daemon loads only the services it runs',
    'iaas/cmd/all.py': 'each daemon loads only the services it runs',
    'iaas/cmd/common.py': 'each daemon loads only the services it runs',
    'iaas/cmd/manage.py': 'each iaas-manage command loads only what it uses',
    'iaas/objectstore/daemon.py': 'a standalone object store runs without the other services',
    'iaas/objectstore/cmd.py': 'a standalone object store runs without the other services',
    'iaas/api/objectstore/auth.py': 'the identity service is optional for the object store',
    'iaas/api/objectstore/proxy.py': 'the S3 layer is optional (skipped when absent)',
}


def imports(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield node.lineno, a.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
            for a in node.names:
                yield node.lineno, f'{node.module}.{a.name}'


def _first_per_line(found):
    """One violation per import statement (``from a.b import c`` names a.b and a.b.c)."""
    seen = set()
    for lineno, message in found:
        if lineno not in seen:
            seen.add(lineno)
            yield message


def _forbids(mod, prefixes):
    return any(mod == p or mod.startswith(p + '.') for p in prefixes)


def is_driver(rel):
    parts = rel.split(os.sep)
    return bool(DRIVER_DIRS & set(parts[:-1])) or \
        (len(parts) > 2 and parts[1] == 'network' and parts[-1].startswith('linux_net'))


def _under(rel, paths):
    """Whether ``rel`` is one of ``paths`` (files or folders, '/'-separated)."""
    rel = rel.replace(os.sep, '/')
    return any(rel == p or rel == p + '.py' or rel.startswith(p + '/') for p in paths)


def is_rest_layer(rel):
    return _under(rel, REST_LAYERS)


def service_packages(root):
    """Names of the packages directly under ``root``/iaas (services and layers)."""
    base = os.path.join(root, 'iaas')
    return {n for n in os.listdir(base)
            if os.path.isfile(os.path.join(base, n, '__init__.py'))} - SHARED_PACKAGES


def _driver_errors(rel, tree, services):
    own = rel.split(os.sep)[1]
    for lineno, mod in imports(tree):
        parts = mod.split('.')
        if _forbids(mod, DRIVER_FORBIDDEN):
            yield lineno, f'{rel}:{lineno}: a driver imports {mod}'
        elif parts[0] == 'iaas' and len(parts) > 1 and parts[1] in services \
                and parts[1] != own:
            yield lineno, (f'{rel}:{lineno}: a driver imports {mod}, another service '
                           f'(only iaas.{own}, {", ".join(sorted(SHARED_PACKAGES))})')


def _rest_errors(rel, tree):
    for lineno, mod in imports(tree):
        if _forbids(mod, REST_FORBIDDEN):
            yield lineno, (f"{rel}:{lineno}: a REST layer imports {mod} (call the service's "
                           'API)')


def _imports_rest_errors(rel, tree):
    for lineno, mod in imports(tree):
        if _forbids(mod, ('iaas.api',)):
            yield lineno, (f'{rel}:{lineno}: service logic imports {mod}, a REST layer '
                           '(move what both need into the service)')


def _lazy_import_errors(rel, tree):
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(fn):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    mods = [a.name for a in node.names] if isinstance(node, ast.Import) \
                        else [node.module or ''] if node.level == 0 else []
                    if any(m == 'iaas' or m.startswith('iaas.') for m in mods):
                        yield (f'{rel}:{node.lineno}: imports {", ".join(mods)} inside a '
                               'function (import at the top; fix the cycle if there is one)')


def _rpc_client_errors(rel, tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            fname = f.attr if isinstance(f, ast.Attribute) else getattr(f, 'id', '')
            if fname == 'RPCClient':
                yield f'{rel}:{node.lineno}: RPC client built outside rpcapi.py'


def _module_file(root, mod):
    path = os.path.join(root, *mod.split('.'))
    if os.path.isfile(os.path.join(path, '__init__.py')):
        return os.path.join(path, '__init__.py')
    return path + '.py' if os.path.isfile(path + '.py') else None


@functools.cache
def _iaas_deps(root, mod):
    """The iaas modules (and their parent packages) ``mod`` imports."""
    path = _module_file(root, mod)
    if path is None:
        return set()
    with open(path, encoding='utf-8') as f:
        tree = ast.parse(f.read(), path)
    out = set()
    for _lineno, name in imports(tree):
        parts = name.split('.')
        if parts[0] != 'iaas':
            continue
        for i in range(1, len(parts) + 1):
            sub = '.'.join(parts[:i])
            if _module_file(root, sub):
                out.add(sub)
    return out


def host_start_modules(root):
    out = list(HOST_MODULES)
    for tree in HOST_TREES:
        base = os.path.join(root, tree)
        paths = [base] if base.endswith('.py') else \
            [os.path.join(d, n) for d, _s, fs in os.walk(base) for n in fs if n.endswith('.py')]
        for p in sorted(paths):
            if os.path.isfile(p):
                rel = os.path.relpath(p, root)[:-3].replace(os.sep, '.')
                out.append(rel[:-len('.__init__')] if rel.endswith('.__init__') else rel)
    return out


def _host_errors(root):
    """Import chains from a host module to the database layer."""
    errors = []
    for start in host_start_modules(root):
        if not _module_file(root, start):
            continue
        parent = {start: None}
        todo = [start]
        while todo:
            mod = todo.pop()
            for dep in sorted(_iaas_deps(root, mod)):
                if dep not in parent:
                    parent[dep] = mod
                    todo.append(dep)
        entries = {}     # the importer outside iaas.db → the module it reaches (deepest)
        for mod in sorted(parent):
            if _forbids(mod, HOST_FORBIDDEN) and parent[mod] is not None \
                    and not _forbids(parent[mod], HOST_FORBIDDEN):
                entries[parent[mod]] = max(entries.get(parent[mod], ''), mod, key=len)
        for mod in sorted(entries.values()):
            chain = [mod]
            while parent[chain[-1]] is not None:
                chain.append(parent[chain[-1]])
            errors.append(f'{start}: a hypervisor/network host module reaches the '
                          f'database: {" <- ".join(chain)}')
    return errors


def check(root=ROOT):
    """The layering violations of the tree under ``root`` (``root/iaas``)."""
    errors = []
    services = service_packages(root)
    for dirpath, _dirs, files in sorted(os.walk(os.path.join(root, 'iaas'))):
        for name in sorted(files):
            if not name.endswith('.py'):
                continue
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            with open(path, encoding='utf-8') as f:
                tree = ast.parse(f.read(), rel)
            if is_driver(rel):
                errors.extend(_first_per_line(_driver_errors(rel, tree, services)))
            if is_rest_layer(rel):
                errors.extend(_first_per_line(_rest_errors(rel, tree)))
            elif not _under(rel, REST_IMPORTERS):
                errors.extend(_first_per_line(_imports_rest_errors(rel, tree)))
            if name != 'rpcapi.py' and rel != os.path.join('iaas', 'rpc.py'):
                errors.extend(_rpc_client_errors(rel, tree))
            if rel.replace(os.sep, '/') not in LAZY_IMPORTS:
                errors.extend(_lazy_import_errors(rel, tree))
    errors.extend(_host_errors(root))
    return errors


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    errors = check(argv[0] if argv else ROOT)
    for e in errors:
        print(e)
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
