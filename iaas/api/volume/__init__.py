"""The Block Storage API v3 (Cinder-compatible) REST layer, served on :8776."""
