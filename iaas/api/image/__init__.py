"""Glance-v2-compatible image API, served by iaas-image (the image logic it calls: iaas.image)."""
