"""EC2 Query parameters: the flat ``Filter.1.Value.2=x`` form turned into a
tree once, read through typed accessors that raise EC2's own errors.

    p = Params.parse(pairs)                  # [(name, value)] of the request
    p.str('KeyName', required=True)
    p.int('MaxCount', default=1, low=1)
    p.list('InstanceId')                     # InstanceId.1, InstanceId.2 …
    p.structs('Filter')                      # [Params] of Filter.N.*
    p.filters()                              # {'instance-state-name': ['running']}

Everything is bounded before work starts: the number of parameters
([ec2] max_params), the depth of a name, an index, a value's length.
"""
import base64
import binascii

from iaas.api.ec2 import errors

MAX_DEPTH = 8
MAX_INDEX = 10000
MAX_VALUE = 64 * 1024        # UserData (16 KiB raw, base64) is the largest EC2 allows


class Params:
    def __init__(self, tree, prefix=''):
        self._tree, self._prefix = tree, prefix

    @classmethod
    def parse(cls, pairs, max_params=1000):
        pairs = list(pairs)
        if len(pairs) > max_params:
            raise errors.invalid(f'A request may carry at most {max_params} parameters.')
        tree = {}
        for name, value in pairs:
            if len(value) > MAX_VALUE:
                raise errors.invalid(f'The value of {name[:64]} is too long.')
            parts = name.split('.')
            if len(parts) > MAX_DEPTH or not all(parts):
                raise errors.invalid(f'Malformed parameter name: {name[:64]}')
            node = tree
            for i, part in enumerate(parts):
                key = _key(part, name)
                last = i == len(parts) - 1
                if last:
                    if key in node:
                        raise errors.invalid(f'Parameter {name[:64]} is given twice or '
                                             'conflicts with another.')
                    node[key] = value
                else:
                    child = node.setdefault(key, {})
                    if not isinstance(child, dict):
                        raise errors.invalid(f'Parameter {name[:64]} conflicts with '
                                             'another.')
                    node = child
        return cls(tree)

    # -- accessors -----------------------------------------------------------------
    def _name(self, name):
        return f'{self._prefix}{name}'

    @property
    def tree(self):
        """The parameters as parsed (names, indexes as ints)."""
        return self._tree

    def has(self, name):
        return name in self._tree

    def names(self):
        return [k for k in self._tree if isinstance(k, str)]

    def str(self, name, required=False, default=None, max_len=255, choices=None):
        value = self._tree.get(name)
        if value is None:
            if required:
                raise errors.missing(self._name(name))
            return default
        if isinstance(value, dict):
            raise errors.invalid(f'Parameter {self._name(name)} must be a single value.')
        if len(value) > max_len:
            raise errors.invalid(f'Value of {self._name(name)} is longer than {max_len} '
                                 'characters.')
        if choices is not None and value not in choices:
            raise errors.invalid(f"Value ({value[:64]}) for parameter {self._name(name)} is "
                                 f"invalid. Expected one of: {', '.join(choices)}.")
        return value

    def int(self, name, required=False, default=None, low=None, high=None):
        raw = self.str(name, required=required, max_len=20)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise errors.invalid(f'Value ({raw}) for parameter {self._name(name)} is '
                                 'invalid. It must be an integer.') from None
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = f'{low if low is not None else "-"}..{high if high is not None else "-"}'
            raise errors.invalid(f'Value ({value}) for parameter {self._name(name)} is '
                                 f'out of range ({bounds}).')
        return value

    def bool(self, name, default=False):
        raw = self.str(name, max_len=5)
        if raw is None:
            return default
        if raw.lower() not in ('true', 'false'):
            raise errors.invalid(f'Value ({raw}) for parameter {self._name(name)} is '
                                 'invalid. It must be true or false.')
        return raw.lower() == 'true'

    def base64(self, name, max_bytes=16 * 1024):
        raw = self.str(name, max_len=MAX_VALUE)
        if raw is None:
            return None
        try:
            data = base64.b64decode(raw, validate=False)
        except (binascii.Error, ValueError):
            raise errors.invalid(f'Invalid BASE64 encoding of {self._name(name)}') from None
        if len(data) > max_bytes:
            raise errors.invalid(f'{self._name(name)} is limited to {max_bytes} bytes.')
        return data

    def _indexed(self, name):
        node = self._tree.get(name)
        if node is None:
            return []
        if not isinstance(node, dict) or any(not isinstance(k, int) for k in node):
            raise errors.invalid(f'Parameter {self._name(name)} must be numbered '
                                 f'({self._name(name)}.1, {self._name(name)}.2, …).')
        return [(i, node[i]) for i in sorted(node)]

    def list(self, name, max_len=255):
        """The values of ``Name.1``, ``Name.2`` … in index order."""
        out = []
        for i, value in self._indexed(name):
            if isinstance(value, dict):
                raise errors.invalid(f'Parameter {self._name(name)}.{i} must be a single '
                                     'value.')
            if len(value) > max_len:
                raise errors.invalid(f'Value of {self._name(name)}.{i} is too long.')
            out.append(value)
        return out

    def struct(self, name):
        """``Name.Field`` as Params (empty when absent)."""
        node = self._tree.get(name)
        if node is None:
            return Params({}, f'{self._name(name)}.')
        if not isinstance(node, dict) or any(isinstance(k, int) for k in node):
            raise errors.invalid(f'Parameter {self._name(name)} must be a structure.')
        return Params(node, f'{self._name(name)}.')

    def structs(self, name):
        """``Name.N.Field`` as a list of Params in index order."""
        out = []
        for i, value in self._indexed(name):
            if not isinstance(value, dict) or any(isinstance(k, int) for k in value):
                raise errors.invalid(f'Parameter {self._name(name)}.{i} must be a structure.')
            out.append(Params(value, f'{self._name(name)}.{i}.'))
        return out

    def filters(self, allowed=None):
        """``{name: [values]}`` of ``Filter.N.Name`` / ``Filter.N.Value.M``;
        a name not in ``allowed`` (exact, or a ``tag:`` prefix when
        'tag:*' is allowed) is InvalidParameterValue like EC2's."""
        out = {}
        for f in self.structs('Filter'):
            name = f.str('Name', required=True)
            values = f.list('Value')
            if allowed is not None and name not in allowed and \
                    not (name.startswith('tag:') and 'tag:*' in allowed):
                raise errors.invalid(f'The filter \'{name[:64]}\' is invalid')
            out.setdefault(name, []).extend(values)
        return out

    def tags(self, name='Tag'):
        """[(key, value)] of ``Tag.N.Key`` / ``Tag.N.Value``."""
        out = []
        for t in self.structs(name):
            key = t.str('Key', required=True, max_len=128)
            out.append((key, t.str('Value', default='', max_len=256)))
        return out


def _key(part, name):
    if part.isdigit():
        i = int(part)
        if not 1 <= i <= MAX_INDEX:
            raise errors.invalid(f'Index out of range in parameter {name[:64]}')
        return i
    return part
