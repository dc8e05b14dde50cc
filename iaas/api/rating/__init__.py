"""The rating API of iaas-api (:8889, catalog type ``rating``): usage,
prices, invoices and budgets over :mod:`iaas.billing.api`."""
