"""Compute API v2.1 (Nova-compatible), served by iaas-api on [api] compute_port."""
