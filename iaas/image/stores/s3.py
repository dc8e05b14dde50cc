"""The "s3" store: image data as objects in an S3 bucket (boto3).

Small images are one PutObject; larger ones a multipart upload whose parts
are buffered one at a time (``s3_store_part_size_mb``), so memory use is
bounded by one part whatever the image size. A failed or refused upload
aborts the multipart upload (or deletes the object).
"""
import contextlib
import threading

from iaas.image.stores import CHUNK, NotFoundInStore, Store, StoreError


class S3Store(Store):
    name = 's3'

    def __init__(self, conf):
        super().__init__(conf)
        self._client = None
        self._lock = threading.Lock()
        self._bucket_ready = False

    @property
    def client(self):
        with self._lock:
            if self._client is None:
                import boto3
                from botocore.config import Config
                c = self.conf.image
                self._client = boto3.client(
                    's3', endpoint_url=c.s3_store_endpoint, region_name=c.s3_store_region,
                    aws_access_key_id=c.s3_store_access_key,
                    aws_secret_access_key=c.s3_store_secret_key,
                    config=Config(s3={'addressing_style': 'path'}, signature_version='s3v4',
                                  request_checksum_calculation='when_required',
                                  response_checksum_validation='when_required',
                                  retries={'max_attempts': 3}))
            return self._client

    @property
    def bucket(self):
        return self.conf.image.s3_store_bucket

    def _ensure_bucket(self):
        if self._bucket_ready:
            return
        from botocore.exceptions import ClientError
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError:
            try:
                self.client.create_bucket(Bucket=self.bucket)
            except ClientError as exc:
                code = exc.response.get('Error', {}).get('Code')
                if code not in ('BucketAlreadyOwnedByYou', 'BucketAlreadyExists'):
                    raise StoreError(f'cannot create bucket {self.bucket}: {exc}') from exc
        self._bucket_ready = True

    @staticmethod
    def _parse(url):
        if not url.startswith('s3://'):
            raise StoreError(f'not an s3 location: {url}')
        bucket, _, key = url[5:].partition('/')
        return bucket, key

    def add(self, image_id, chunks, size=None):
        self._ensure_bucket()
        part_size = self.conf.image.s3_store_part_size_mb << 20
        key = image_id
        buf = bytearray()
        it = iter(chunks)
        upload_id, parts = None, []
        try:
            for chunk in it:
                buf += chunk
                while len(buf) >= part_size:
                    if upload_id is None:
                        upload_id = self.client.create_multipart_upload(
                            Bucket=self.bucket, Key=key)['UploadId']
                    part = bytes(buf[:part_size])
                    del buf[:part_size]
                    parts.append(self._put_part(key, upload_id, len(parts) + 1, part))
            if upload_id is None:
                self.client.put_object(Bucket=self.bucket, Key=key, Body=bytes(buf))
            else:
                if buf or not parts:
                    parts.append(self._put_part(key, upload_id, len(parts) + 1, bytes(buf)))
                self.client.complete_multipart_upload(
                    Bucket=self.bucket, Key=key, UploadId=upload_id,
                    MultipartUpload={'Parts': parts})
        except BaseException:
            with contextlib.suppress(Exception):
                if upload_id is not None:
                    self.client.abort_multipart_upload(Bucket=self.bucket, Key=key,
                                                       UploadId=upload_id)
                else:
                    self.client.delete_object(Bucket=self.bucket, Key=key)
            raise
        return f's3://{self.bucket}/{key}', {}

    def _put_part(self, key, upload_id, number, data):
        r = self.client.upload_part(Bucket=self.bucket, Key=key, UploadId=upload_id,
                                    PartNumber=number, Body=data)
        return {'PartNumber': number, 'ETag': r['ETag']}

    def get(self, url, meta, offset=0, length=None):
        from botocore.exceptions import ClientError
        bucket, key = self._parse(url)
        kw = {}
        if offset or length is not None:
            end = '' if length is None else str(offset + length - 1)
            kw['Range'] = f'bytes={offset}-{end}'
        try:
            body = self.client.get_object(Bucket=bucket, Key=key, **kw)['Body']
        except ClientError as exc:
            if exc.response.get('Error', {}).get('Code') in ('NoSuchKey', '404'):
                raise NotFoundInStore(f'image data {url} is missing') from None
            raise StoreError(f'cannot read {url}: {exc}') from exc
        return _iter_body(body)

    def delete(self, url, meta):
        bucket, key = self._parse(url)
        self.client.delete_object(Bucket=bucket, Key=key)


def _iter_body(body):
    try:
        yield from body.iter_chunks(CHUNK)
    finally:
        body.close()
