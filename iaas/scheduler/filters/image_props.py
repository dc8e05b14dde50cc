"""ImagePropertiesFilter: the host can run the image's architecture and hypervisor type.

Image properties, as in Nova (the legacy spelling is accepted too):

* ``hw_architecture`` (legacy ``architecture``): x86_64, aarch64, i686, ...
  compared with ``HostState.architecture`` after canonicalisation
  (amd64 -> x86_64, arm64 -> aarch64, i386 -> i686, ...);
* ``img_hv_type`` (legacy ``hypervisor_type``): compared with
  ``HostState.hypervisor_type`` (case-insensitive; a kvm host also runs
  qemu images, xapi means xen).

Properties are read from ``spec.image['properties']`` and, for images
passed flat as Glance v2 shows them, from ``spec.image`` itself.
"""
from iaas.scheduler.filters import BaseHostFilter

_ARCH_ALIASES = {
    'amd64': 'x86_64', 'x86-64': 'x86_64', 'x64': 'x86_64', 'em64t': 'x86_64',
    'i386': 'i686', 'i486': 'i686', 'i586': 'i686', 'x86': 'i686', 'ia32': 'i686',
    'arm64': 'aarch64', 'armv8': 'aarch64',
    'ppc64el': 'ppc64le', 'powerpc64le': 'ppc64le',
}
_HV_ALIASES = {'xapi': 'xen'}
# Hypervisor types a host of the given type also runs.
_HV_ALSO_RUNS = {'kvm': {'kvm', 'qemu'}}


def canonical_arch(value):
    v = str(value).strip().lower()
    return _ARCH_ALIASES.get(v, v)


def canonical_hv_type(value):
    v = str(value).strip().lower()
    return _HV_ALIASES.get(v, v)


def _prop(image, new, legacy):
    props = image.get('properties') or {}
    for key in (new, legacy):
        for source in (props, image):
            value = source.get(key)
            if value not in (None, ''):
                return value
    return None


def requested(spec):
    """(architecture, hypervisor type) the image asks for, canonical, None if any."""
    image = spec.image or {}
    arch = _prop(image, 'hw_architecture', 'architecture')
    hv = _prop(image, 'img_hv_type', 'hypervisor_type')
    return (canonical_arch(arch) if arch is not None else None,
            canonical_hv_type(hv) if hv is not None else None)


def _hv_runs(host_hv_type, hv):
    host_hv = canonical_hv_type(host_hv_type)
    return hv == host_hv or hv in _HV_ALSO_RUNS.get(host_hv, ())


class ImagePropertiesFilter(BaseHostFilter):
    name = 'ImagePropertiesFilter'

    def applies(self, spec):
        return requested(spec) != (None, None)

    def host_passes(self, host_state, spec):
        arch, hv = requested(spec)
        if arch is not None and canonical_arch(host_state.architecture) != arch:
            return False
        return hv is None or _hv_runs(host_state.hypervisor_type, hv)

    def filter_all(self, hosts, spec):
        arch, hv = requested(spec)
        out = hosts
        if arch is not None:
            # Canonicalise each distinct host value once, not once per host.
            ok = {a: canonical_arch(a) == arch for a in {h.architecture for h in out}}
            out = [h for h in out if ok[h.architecture]]
        if hv is not None:
            ok_hv = {t: _hv_runs(t, hv) for t in {h.hypervisor_type for h in out}}
            out = [h for h in out if ok_hv[h.hypervisor_type]]
        return list(out)
