"""libvirt hypervisor driver (compute_driver = libvirt)."""
