"""Models of the image service: images, their properties, tags, members
and the store locations of their data."""
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from iaas.db.base import Base, SoftDeleteMixin, TimestampMixin, uuid_column


class Image(Base, TimestampMixin, SoftDeleteMixin):
    """One image record (Glance v2 fields); its data lives in a store."""
    __tablename__ = 'images'
    __table_args__ = (Index('ix_images_owner_status', 'owner', 'status'),
                      Index('ix_images_visibility', 'visibility'))

    id: Mapped[str] = uuid_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(255), index=True)
    status: Mapped[str] = mapped_column(String(30), default='queued')
    visibility: Mapped[str] = mapped_column(String(20), default='shared')
    protected: Mapped[bool] = mapped_column(Boolean, default=False)
    os_hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    disk_format: Mapped[str | None] = mapped_column(String(20))
    container_format: Mapped[str | None] = mapped_column(String(20))
    min_disk: Mapped[int] = mapped_column(Integer, default=0)
    min_ram: Mapped[int] = mapped_column(Integer, default=0)
    size: Mapped[int | None] = mapped_column(BigInteger)
    virtual_size: Mapped[int | None] = mapped_column(BigInteger)
    checksum: Mapped[str | None] = mapped_column(String(32))
    os_hash_algo: Mapped[str | None] = mapped_column(String(64))
    os_hash_value: Mapped[str | None] = mapped_column(String(128))
    owner: Mapped[str | None] = mapped_column(String(64))
    # Bytes an upload in progress holds against the owner's quota.
    reserved_size: Mapped[int] = mapped_column(BigInteger, default=0)


class ImageProperty(Base):
    """A free-form string property of an image."""
    __tablename__ = 'image_properties'
    __table_args__ = (UniqueConstraint('image_id', 'name'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    image_id: Mapped[str] = mapped_column(
        String(36), ForeignKey('images.id', ondelete='CASCADE'), index=True)
    name: Mapped[str] = mapped_column(String(255))
    value: Mapped[str | None] = mapped_column(Text)


class ImageTag(Base):
    __tablename__ = 'image_tags'
    __table_args__ = (UniqueConstraint('image_id', 'value'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    image_id: Mapped[str] = mapped_column(
        String(36), ForeignKey('images.id', ondelete='CASCADE'), index=True)
    value: Mapped[str] = mapped_column(String(255))


class ImageMember(Base, TimestampMixin):
    """A project an image is shared with, and whether it accepted."""
    __tablename__ = 'image_members'
    __table_args__ = (UniqueConstraint('image_id', 'member'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    image_id: Mapped[str] = mapped_column(
        String(36), ForeignKey('images.id', ondelete='CASCADE'), index=True)
    member: Mapped[str] = mapped_column(String(255), index=True)
    status: Mapped[str] = mapped_column(String(20), default='pending')


class ImageLocation(Base, TimestampMixin):
    """Where one copy of an image's data is: the store's name and its URL."""
    __tablename__ = 'image_locations'

    id: Mapped[int] = mapped_column(primary_key=True)
    image_id: Mapped[str] = mapped_column(
        String(36), ForeignKey('images.id', ondelete='CASCADE'), index=True)
    store: Mapped[str] = mapped_column(String(32))
    url: Mapped[str] = mapped_column(Text)
    meta: Mapped[dict | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(30), default='active')
