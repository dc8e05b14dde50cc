"""Metering, rating and invoices (iaas-billing).

* :mod:`meters` — the meter table (one row per meter);
* :mod:`events` — the usage notification contract, parsed and checked;
* :mod:`intervals` — events → per-resource usage intervals (order-independent);
* :mod:`ingest` — stores events once (by ``message_id``) and their intervals;
* :mod:`reconcile` — compares intervals with the resources in the database;
* :mod:`rating`, :mod:`prices` — Decimal pricing with effective-dated prices;
* :mod:`invoices`, :mod:`export` — monthly invoices, CSV/JSON, webhooks;
* :mod:`budgets` — monthly budgets, alerts and enforcement;
* :mod:`api` — what the REST layer and the CLI call;
* :mod:`consumer`, :mod:`manager` — the ``iaas-billing`` daemon.

See docs/developers/billing.md.
"""
