"""Block-storage backends of iaas-volume (Cinder's volume drivers).

Every backend implements :class:`iaas.volume.drivers.base.VolumeDriver` and
is an entry point of the ``iaas.volume.drivers`` group (pyproject.toml):

======  =====================================================================
name    backend
======  =====================================================================
fake    in-memory bookkeeping (control-plane tests, benchmarks)
file    raw/qcow2 files under a directory, snapshots as qcow2 overlays,
        attached to guests of this host by path (all-in-one default)
iscsi   the file backend's raw files exported by a tgt target per volume
nbd     the file backend's files exported by a ``qemu-nbd`` per attachment
lvm     LVM thin volumes exported by tgt (iSCSI)
rbd     Ceph RBD images (librbd Python bindings)
======  =====================================================================

Drivers take plain dicts and return plain values; they never import
iaas.db, iaas.api, iaas.rpc or another service (tools/check_layering.py).
"""
