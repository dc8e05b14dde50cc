"""Reusable helpers for probe tests: config files on free ports, real
daemons as subprocesses, the identity bootstrap, an ``openstack`` runner.

    from tests.probe.fixtures import Cloud

    cloud = Cloud.create(tmp_path)            # config, migrated DB, bootstrap
    cloud.start('iaas-api')                   # waits until identity answers
    out = cloud.openstack('token', 'issue')   # unmodified python-openstackclient
    cloud.stop_all()

or the ``cloud`` fixture in tests/probe/conftest.py. Every port is a free
one picked at creation; ``cloud.ports`` maps option names to ports.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time

from tests.ports import free_ports  # noqa: F401 (re-exported)

BIN = os.path.dirname(sys.executable)

API_PORT_OPTS = ('identity_port', 'compute_port', 'ec2_port', 'volume_port',
                 'network_port', 'metadata_port', 'rating_port')
# Groups other issues add; ``[group] port`` is written for each.
EXTRA_PORT_GROUPS = ('image', 'objectstore')


def port_options():
    """Names of every port option registered in iaas.conf: API ports as
    'identity_port' …, ``[group] port`` as 'group', other port options of a
    group as 'group.option' — so a new daemon's ports get free ones too."""
    from oslo_config import cfg

    from iaas.conf import list_opts
    names = list(API_PORT_OPTS)
    for group, opts in list_opts():
        gname = getattr(group, 'name', group)
        for opt in opts:
            # [metrics] port is off unless set (0), and one value for every
            # daemon of a config would make them all bind the same port
            if not isinstance(opt, cfg.PortOpt) or gname in ('api', 'metrics'):
                continue
            names.append(gname if opt.name == 'port' else f'{gname}.{opt.name}')
    for g in EXTRA_PORT_GROUPS:
        if g not in names:
            names.append(g)
    return names


def wait_for_port(port, host='127.0.0.1', timeout=30.0, proc=None, what='daemon'):
    """Poll until a TCP connect to (host, port) works; fail early if ``proc`` died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f'{what} exited with {proc.returncode} before listening '
                               f'on {port}')
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f'{what} did not listen on {host}:{port} within {timeout}s')


# Daemons that reach the database through iaas-conductor.
CONDUCTED = ('iaas-compute', 'iaas-network', 'iaas-volume')


def write_config(path, state_path, db_url=None, ports=None, sections=None,
                 transport_url='filesystem://', host='probe', control_exchange=None):
    """Write an iaas config file.

    ``ports``: {'identity_port': 5000, …, 'image': 9292, 'objectstore': 8080,
    'objectstore.storage_port': 6200} (API port options go to [api]; a group
    name gets ``[group] port``; 'group.option' sets that option).
    ``sections``: {'identity': {'bcrypt_rounds': 4}, …} merged in.
    """
    sec = {'DEFAULT': {'host': host, 'state_path': str(state_path),
                       'transport_url': transport_url},
           'api': {'listen': '127.0.0.1', 'public_host': '127.0.0.1'}}
    if control_exchange:
        sec['DEFAULT']['control_exchange'] = control_exchange
    if db_url:
        sec['database'] = {'connection': db_url}
    for opt, port in (ports or {}).items():
        if opt in API_PORT_OPTS:
            sec['api'][opt] = port
        elif '.' in opt:
            group, name = opt.split('.', 1)
            sec.setdefault(group, {})[name] = port
        else:
            sec.setdefault(opt, {})['port'] = port
    for group, opts in (sections or {}).items():
        sec.setdefault(group, {}).update(opts)
    lines = []
    for group, opts in sec.items():
        lines.append(f'[{group}]')
        lines += [f'{k} = {v}' for k, v in opts.items()]
        lines.append('')
    with open(path, 'w') as f:
        f.write('\n'.join(lines))
    return path


class Daemon:
    def __init__(self, name, config_file, log_path):
        self.name = name
        self.log_path = log_path
        self._log = open(log_path, 'ab')
        cmd = [os.path.join(BIN, name)]
        if not os.path.exists(cmd[0]):
            # a daemon newer than the installed console scripts (no reinstall yet)
            cmd = [sys.executable, '-m', 'iaas.cmd.daemons', name]
        self.proc = subprocess.Popen(cmd + ['--config-file', str(config_file)],
                                     stdout=self._log, stderr=subprocess.STDOUT)

    def log(self):
        with open(self.log_path, errors='replace') as f:
            return f.read()

    def stop(self, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._log.close()
        return self.proc.returncode


class Cloud:
    """A config file, a database and the daemons started on it."""

    def __init__(self, tmp_path, config_file, state_path, ports, admin_password,
                 config_args=None):
        self.tmp_path = tmp_path
        self.config_file = config_file
        self.state_path = state_path
        self.ports = ports
        self.admin_password = admin_password
        self.daemons = {}
        # What write_config got, so host_config() can write siblings.
        self.config_args = config_args or {}

    @classmethod
    def create(cls, tmp_path, db_url=None, sections=None, admin_password='admin-secret-1',
               bootstrap=True, host='probe', transport_url='filesystem://',
               control_exchange=None):
        """``transport_url``/``control_exchange``: the bus every daemon uses
        (e.g. real RabbitMQ with a per-test exchange name)."""
        state = tmp_path / 'state'
        state.mkdir(exist_ok=True)
        names = port_options()
        ports = dict(zip(names, free_ports(len(names)), strict=True))
        merged = {'identity': {'bcrypt_rounds': 4}}
        for g, opts in (sections or {}).items():
            merged.setdefault(g, {}).update(opts)
        args = dict(state_path=state, db_url=db_url, ports=ports, sections=merged,
                    transport_url=transport_url, control_exchange=control_exchange)
        config = write_config(tmp_path / 'iaas.conf', host=host, **args)
        cloud = cls(tmp_path, config, state, ports, admin_password, config_args=args)
        cloud.manage('db', 'sync', check=False)   # prints current(); several heads are fine
        if bootstrap:
            cloud.manage('bootstrap', '--admin-password', admin_password)
        return cloud

    def manage(self, *args, check=True):
        r = subprocess.run([os.path.join(BIN, 'iaas-manage'), '--config-file',
                            str(self.config_file), *args], capture_output=True, text=True,
                           timeout=120)
        if check and r.returncode != 0:
            raise RuntimeError(f'iaas-manage {args} failed: {r.stdout}\n{r.stderr}')
        return r

    def host_config(self, host, sections=None, database=True):
        """Write a sibling config for another ``[DEFAULT] host`` (same ports,
        database, bus and state_path; ``sections`` merged over the cloud's),
        e.g. for a second iaas-compute. ``database=False``: no ``[database]``
        section (a hypervisor or network host). Returns its path."""
        args = dict(self.config_args)
        if not database:
            args['db_url'] = None
        merged = {g: dict(o) for g, o in args.pop('sections', {}).items()}
        for g, opts in (sections or {}).items():
            merged.setdefault(g, {}).update(opts)
        return write_config(self.tmp_path / f'iaas-{host}.conf', host=host,
                            sections=merged, **args)

    def start(self, name='iaas-api', wait_port=None, timeout=30, config_file=None,
              key=None):
        """Start daemon ``name``; wait until ``wait_port`` (default: identity)
        listens, or, with ``wait_port=False``, only check it did not exit.
        ``config_file``: another config (see host_config); ``key``: the name it
        gets in ``daemons`` (default ``name``; give one per extra instance)."""
        key = key or name
        if name in CONDUCTED and 'iaas-conductor' not in self.daemons:
            self.start('iaas-conductor', wait_port=False)   # their state goes through it
        d = Daemon(name, config_file or self.config_file, self.tmp_path / f'{key}.log')
        self.daemons[key] = d
        port = self.ports['identity_port'] if wait_port is None else wait_port
        try:
            if port is False:
                if d.proc.poll() is not None:
                    raise RuntimeError(f'{name} exited with {d.proc.returncode}')
            else:
                wait_for_port(port, timeout=timeout, proc=d.proc, what=name)
        except Exception as exc:
            d.stop()
            raise AssertionError(f'{exc}\n{d.log()[-4000:]}') from None
        return d

    def kill(self, key):
        """SIGKILL daemon ``key`` (no clean shutdown) and forget it."""
        d = self.daemons.pop(key)
        d.proc.kill()
        d.proc.wait(10)
        d._log.close()
        return d

    def stop_all(self):
        for d in self.daemons.values():
            d.stop()
        self.daemons.clear()

    @property
    def auth_url(self):
        return f'http://127.0.0.1:{self.ports["identity_port"]}/v3'

    def env(self, username='admin', password=None, project='admin'):
        """OS_* environment for python-openstackclient."""
        env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
        env.update({'OS_AUTH_URL': self.auth_url, 'OS_IDENTITY_API_VERSION': '3',
                    'OS_USERNAME': username,
                    'OS_PASSWORD': self.admin_password if password is None else password,
                    'OS_USER_DOMAIN_NAME': 'Default', 'OS_PROJECT_DOMAIN_NAME': 'Default',
                    'OS_REGION_NAME': 'RegionOne', 'OS_INTERFACE': 'public'})
        if project:
            env['OS_PROJECT_NAME'] = project
        return env

    def openstack(self, *args, env=None, check=True, json_out=True, timeout=120):
        """Run ``openstack ARGS`` (``-f json`` appended when json_out)."""
        cmd = [os.path.join(BIN, 'openstack'), *args]
        if json_out:
            cmd += ['-f', 'json']
        r = subprocess.run(cmd, env=env or self.env(), capture_output=True, text=True,
                           timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f'{" ".join(args)} failed ({r.returncode}):\n'
                                 f'{r.stdout}\n{r.stderr[-3000:]}')
        if check and json_out and r.stdout.strip():
            return json.loads(r.stdout)
        return r
