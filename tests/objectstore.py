"""A real S3-protocol server on loopback for the tests: moto's server mode (a Python package
in the venv), started as a process of its own on a free port, with one private bucket.

`object_store` (a session fixture) is one server for the whole run; `s3_storage` makes it the
default storage of the test's own process for one test. Tests that must stop the store start
an `ObjectStore` of their own. Processes started by a test (gunicorn, Celery) are pointed at
it with `ObjectStore.environ()`, the variables production reads."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from django.conf import settings

from seva.config.storage import s3_storage_from_environ


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ObjectStore:
    bucket = "seva-test-files"
    region = "ap-south-1"
    access_key = "seva-test-access-key"
    secret_key = "seva-test-secret-key"
    prefix = "seva"

    def __init__(self, log: Path) -> None:
        self.log = log
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, create_bucket: bool = True) -> ObjectStore:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"moto's server stopped:\n{self.tail()}")
            try:
                with urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=2):
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"moto's server did not start:\n{self.tail()}") from None
                time.sleep(0.2)
        if create_bucket:
            # Private, as an operator makes it: no ACL, no policy, nothing public.
            self.client().create_bucket(
                Bucket=self.bucket,
                CreateBucketConfiguration={"LocationConstraint": self.region},
            )
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def environ(self) -> dict[str, str]:
        """What production is told (seva.config.storage.s3_storage_from_environ)."""
        return {
            "SEVA_S3_BUCKET": self.bucket,
            "SEVA_S3_REGION": self.region,
            "SEVA_S3_ENDPOINT_URL": self.endpoint,
            "SEVA_S3_ACCESS_KEY_ID": self.access_key,
            "SEVA_S3_SECRET_ACCESS_KEY": self.secret_key,
            "SEVA_S3_PREFIX": self.prefix,
        }

    def storages(self) -> dict:
        """STORAGES with this bucket as the default, built as production builds it."""
        return {**settings.STORAGES, "default": s3_storage_from_environ(self.environ())}

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
        )

    def read(self, name: str) -> bytes:
        """The object a storage name is kept under, read with Seva's credentials."""
        key = f"{self.prefix}/{name}"
        return self.client().get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def object_keys(self) -> set[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
        return {item["Key"] for page in pages for item in page.get("Contents", [])}

    def anonymous_get(self, name: str) -> int:
        """The status an unsigned GET of the object gets: anyone who learnt its name."""
        try:
            with urllib.request.urlopen(
                f"{self.endpoint}/{self.bucket}/{self.prefix}/{name}", timeout=10
            ) as answer:
                return answer.status
        except urllib.error.HTTPError as refused:
            return refused.code


@pytest.fixture(scope="session")
def object_store(tmp_path_factory) -> Iterator[ObjectStore]:
    store = ObjectStore(tmp_path_factory.mktemp("object-store") / "moto.log").start()
    yield store
    store.stop()


@pytest.fixture
def s3_storage(object_store: ObjectStore, settings) -> ObjectStore:
    """This test's default storage is the bucket, exactly as production configures it."""
    settings.STORAGES = object_store.storages()
    return object_store
