"""iaas-dashboard: the web interface over the public APIs (Jinja2 pages, htmx
for the live parts), with each user's own token; see docs/developers/dashboard.md."""
