"""Billing models: usage events, the resources they describe, usage
intervals, the price sheet, discounts and credits, issued invoices and their
lines, budgets and the alerts sent for them.

Times are naive UTC with microseconds (``DATETIME(6)`` on MariaDB, whose
plain DATETIME drops them). Money is ``Numeric``: unit prices with 10
decimals, stored amounts already rounded to the currency's minor unit
(scale 4 leaves room for three-decimal currencies).
"""
import datetime
import decimal

import sqlalchemy as sa
from sqlalchemy import JSON, BigInteger, Boolean, Index, Numeric, String, UniqueConstraint
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column

from iaas.db.base import Base, utcnow, uuid_column

# DateTime with microseconds on every database.
UTCTime = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb')
PRICE = Numeric(24, 10)
MONEY = Numeric(20, 4)
QUANTITY = Numeric(30, 9)


class BillingEvent(Base):
    """One usage notification as received (or made by reconciliation).

    ``message_id`` is unique: the same notification delivered twice is
    stored, and so counted, once."""
    __tablename__ = 'billing_events'
    __table_args__ = (Index(None, 'resource_type', 'resource_id', 'at'),
                      Index(None, 'project_id', 'at'))

    id: Mapped[int] = mapped_column(BigInteger().with_variant(sa.Integer, 'sqlite'),
                                    primary_key=True)
    message_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16), default='bus')
    resource_type: Mapped[str] = mapped_column(String(32))
    resource_id: Mapped[str] = mapped_column(String(64))
    project_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime.datetime] = mapped_column(UTCTime)
    received_at: Mapped[datetime.datetime] = mapped_column(UTCTime, default=utcnow)
    payload: Mapped[dict] = mapped_column(JSON)


class BillingResource(Base):
    """The billable state of one resource after the events applied so far
    (the head of its intervals), and when reconciliation last saw it."""
    __tablename__ = 'billing_resources'
    __table_args__ = (UniqueConstraint('resource_type', 'resource_id'),
                      Index(None, 'project_id'),
                      Index(None, 'deleted', 'resource_type'))

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_type: Mapped[str] = mapped_column(String(32))
    resource_id: Mapped[str] = mapped_column(String(64))
    project_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(32))
    price_key: Mapped[str | None] = mapped_column(String(255))
    size: Mapped[int | None] = mapped_column(BigInteger)
    attrs: Mapped[dict] = mapped_column(JSON, default=dict)
    last_at: Mapped[datetime.datetime] = mapped_column(UTCTime)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    seen_at: Mapped[datetime.datetime | None] = mapped_column(UTCTime)


class BillingInterval(Base):
    """A stretch of time a resource spent in one billable state
    (``kind='state'``; ``end_at`` NULL while it lasts), or a counted
    amount over a period (``kind='counter'``: object-store traffic)."""
    __tablename__ = 'billing_intervals'
    __table_args__ = (Index(None, 'resource_type', 'resource_id', 'kind', 'end_at'),
                      Index(None, 'project_id', 'start_at'),
                      Index(None, 'start_at'))

    id: Mapped[int] = mapped_column(BigInteger().with_variant(sa.Integer, 'sqlite'),
                                    primary_key=True)
    resource_type: Mapped[str] = mapped_column(String(32))
    resource_id: Mapped[str] = mapped_column(String(64))
    project_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8), default='state')
    state: Mapped[str] = mapped_column(String(32))
    start_at: Mapped[datetime.datetime] = mapped_column(UTCTime)
    end_at: Mapped[datetime.datetime | None] = mapped_column(UTCTime)
    price_key: Mapped[str | None] = mapped_column(String(255))
    # what a meter multiplies by: GiB (volumes, snapshots), bytes (images,
    # object storage); counters: requests and bytes out
    size: Mapped[int | None] = mapped_column(BigInteger)
    requests: Mapped[int | None] = mapped_column(BigInteger)
    bytes_out: Mapped[int | None] = mapped_column(BigInteger)
    attrs: Mapped[dict] = mapped_column(JSON, default=dict)


class BillingCorrection(Base):
    """What a reconciliation run changed, and why."""
    __tablename__ = 'billing_corrections'
    __table_args__ = (Index(None, 'project_id', 'created_at'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_type: Mapped[str] = mapped_column(String(32))
    resource_id: Mapped[str] = mapped_column(String(64))
    project_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))       # open, close, change
    state: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime.datetime] = mapped_column(UTCTime)
    reason: Mapped[str] = mapped_column(String(255))
    message_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime.datetime] = mapped_column(UTCTime, default=utcnow)


class BillingPrice(Base):
    """One row of the price sheet: from ``effective_from`` on, ``meter``
    (for ``price_key``, ``*`` = any) costs ``unit_price`` per unit in
    ``region``. Rows are never changed: a new price is a new row."""
    __tablename__ = 'billing_prices'
    __table_args__ = (Index(None, 'meter', 'price_key', 'region', 'effective_from'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meter: Mapped[str] = mapped_column(String(64))
    price_key: Mapped[str] = mapped_column(String(255), default='*')
    region: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    unit_price: Mapped[decimal.Decimal] = mapped_column(PRICE)
    effective_from: Mapped[datetime.datetime] = mapped_column(UTCTime)
    created_at: Mapped[datetime.datetime] = mapped_column(UTCTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(255))
    note: Mapped[str | None] = mapped_column(String(255))


class BillingDiscount(Base):
    """A project's discount in percent of its subtotal, from a date on."""
    __tablename__ = 'billing_discounts'
    __table_args__ = (Index(None, 'project_id', 'effective_from'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[str] = mapped_column(String(64))
    percent: Mapped[decimal.Decimal] = mapped_column(Numeric(7, 4))
    effective_from: Mapped[datetime.datetime] = mapped_column(UTCTime)
    created_at: Mapped[datetime.datetime] = mapped_column(UTCTime, default=utcnow)


class BillingCredit(Base):
    """An amount taken off a project's invoice of one month."""
    __tablename__ = 'billing_credits'
    __table_args__ = (Index(None, 'project_id', 'period'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(7))          # YYYY-MM
    amount: Mapped[decimal.Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(255), default='')
    created_at: Mapped[datetime.datetime] = mapped_column(UTCTime, default=utcnow)


class BillingInvoice(Base):
    """An issued (then paid) invoice; drafts are computed, not stored."""
    __tablename__ = 'billing_invoices'
    __table_args__ = (UniqueConstraint('project_id', 'period'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = uuid_column(unique=True)
    project_id: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(7))
    region: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    state: Mapped[str] = mapped_column(String(16))
    subtotal: Mapped[decimal.Decimal] = mapped_column(MONEY)
    discount: Mapped[decimal.Decimal] = mapped_column(MONEY)
    credits: Mapped[decimal.Decimal] = mapped_column(MONEY)
    tax_rate: Mapped[decimal.Decimal] = mapped_column(Numeric(7, 4))
    tax: Mapped[decimal.Decimal] = mapped_column(MONEY)
    total: Mapped[decimal.Decimal] = mapped_column(MONEY)
    rounding: Mapped[str] = mapped_column(String(16))
    line_count: Mapped[int] = mapped_column(default=0)
    digest: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime.datetime] = mapped_column(UTCTime)
    paid_at: Mapped[datetime.datetime | None] = mapped_column(UTCTime)
    paid_reference: Mapped[str | None] = mapped_column(String(255))
    webhook_sent_at: Mapped[datetime.datetime | None] = mapped_column(UTCTime)


class BillingInvoiceLine(Base):
    __tablename__ = 'billing_invoice_lines'
    __table_args__ = (Index(None, 'invoice_id'),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(sa.Integer, 'sqlite'),
                                    primary_key=True)
    invoice_id: Mapped[int] = mapped_column(
        sa.ForeignKey('billing_invoices.id', ondelete='CASCADE'))
    resource_type: Mapped[str] = mapped_column(String(32))
    resource_id: Mapped[str] = mapped_column(String(64))
    meter: Mapped[str] = mapped_column(String(64))
    price_key: Mapped[str | None] = mapped_column(String(255))
    start_at: Mapped[datetime.datetime] = mapped_column(UTCTime)
    end_at: Mapped[datetime.datetime] = mapped_column(UTCTime)
    quantity: Mapped[decimal.Decimal] = mapped_column(QUANTITY)
    unit: Mapped[str] = mapped_column(String(32))
    unit_price: Mapped[decimal.Decimal] = mapped_column(PRICE)
    amount: Mapped[decimal.Decimal] = mapped_column(MONEY)


class BillingBudget(Base):
    """A project's monthly budget; ``enforce`` refuses new resources past 100 %."""
    __tablename__ = 'billing_budgets'

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[str] = mapped_column(String(64), unique=True)
    amount: Mapped[decimal.Decimal] = mapped_column(MONEY)
    currency: Mapped[str] = mapped_column(String(3))
    enforce: Mapped[bool | None] = mapped_column(Boolean)
    updated_at: Mapped[datetime.datetime] = mapped_column(UTCTime, default=utcnow)


class BillingBudgetAlert(Base):
    """An alert level reached: sent once per project, month and level."""
    __tablename__ = 'billing_budget_alerts'
    __table_args__ = (UniqueConstraint('project_id', 'period', 'level'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(7))
    level: Mapped[int] = mapped_column()
    spent: Mapped[decimal.Decimal] = mapped_column(MONEY)
    budget: Mapped[decimal.Decimal] = mapped_column(MONEY)
    fired_at: Mapped[datetime.datetime] = mapped_column(UTCTime)
