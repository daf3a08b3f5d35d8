"""Where production keeps files: uploaded documents, signed certificates and orders, in a
private bucket of S3-compatible object storage (AWS S3, MinIO, Ceph RGW, a state cloud's
store), through django-storages. Every web node and worker reads and writes the same bucket,
so none keeps a file another cannot serve (ADR 0024, docs/operations.md "Object storage").

The bucket is never public and Seva never sends a citizen to it: each file is streamed by a
view after Seva's own permission check. Objects are written with no ACL, so they take the
bucket's own (private) policy; a public ACL, unsigned URLs or a public custom domain are
refused at start-up. The embedded default (`make run`, the tests) stays the local disk."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from botocore.config import Config
from django.core.exceptions import ImproperlyConfigured
from storages.backends.s3 import S3Storage

# The ACLs a private object may be written with; None sends none (the bucket's policy).
_PRIVATE_ACLS = {None, "private", "bucket-owner-full-control"}


class PrivateS3Storage(S3Storage):
    """django-storages' S3 backend that refuses to make anything public, and can tell
    readiness checks whether its bucket answers."""

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        if self.default_acl not in _PRIVATE_ACLS:
            raise ImproperlyConfigured(
                f"Files are private: the object store's ACL may not be {self.default_acl!r}."
            )
        if not self.querystring_auth or self.custom_domain:
            raise ImproperlyConfigured(
                "Files are private: the object store's URLs must be signed, never public."
            )
        self._probes = threading.local()

    def check(self) -> None:
        """The bucket answers with these credentials: one HEAD, nothing read or written,
        tried once with short timeouts (a load balancer waits a few seconds at most)."""
        probe = getattr(self._probes, "client", None)
        if probe is None:
            probe = self._create_session().client(
                "s3",
                region_name=self.region_name,
                use_ssl=self.use_ssl,
                endpoint_url=self.endpoint_url,
                verify=self.verify,
                config=self.client_config.merge(
                    Config(
                        connect_timeout=2,
                        read_timeout=2,
                        retries={"mode": "standard", "total_max_attempts": 1},
                    )
                ),
            )
            self._probes.client = probe
        probe.head_bucket(Bucket=self.bucket_name)


def s3_storage_from_environ(environ: Mapping[str, str]) -> dict[str, Any]:
    """The `STORAGES["default"]` entry for the bucket the environment names.

    SEVA_S3_BUCKET and SEVA_S3_REGION are required. SEVA_S3_ENDPOINT_URL names an
    S3-compatible store (unset: AWS S3); such a store needs SEVA_S3_ACCESS_KEY_ID and
    SEVA_S3_SECRET_ACCESS_KEY, which on AWS may instead come from the node's role. Optional:
    SEVA_S3_PREFIX (a folder for this installation's keys), SEVA_S3_ADDRESSING_STYLE
    (`path` or `virtual`; `path` by default for an endpoint of one's own)."""

    def value(name: str) -> str:
        return environ.get(name, "").strip()

    def required(name: str, what: str) -> str:
        found = value(name)
        if not found:
            raise ImproperlyConfigured(
                f"Production keeps files in S3-compatible object storage: set {name} ({what})."
            )
        return found

    bucket = required("SEVA_S3_BUCKET", "the private bucket's name")
    region = required("SEVA_S3_REGION", "the bucket's region, e.g. ap-south-1 or us-east-1")
    endpoint = value("SEVA_S3_ENDPOINT_URL")
    if endpoint and (
        urlsplit(endpoint).scheme not in {"http", "https"} or not urlsplit(endpoint).netloc
    ):
        raise ImproperlyConfigured(
            "SEVA_S3_ENDPOINT_URL must be the store's http:// or https:// address."
        )
    access_key, secret_key = value("SEVA_S3_ACCESS_KEY_ID"), value("SEVA_S3_SECRET_ACCESS_KEY")
    if endpoint or access_key or secret_key:
        # A store of one's own has no instance role to lend credentials: both are needed.
        if not access_key:
            required("SEVA_S3_ACCESS_KEY_ID", "the access key of Seva's account on the store")
        if not secret_key:
            required("SEVA_S3_SECRET_ACCESS_KEY", "the secret of that access key")
    style = value("SEVA_S3_ADDRESSING_STYLE") or ("path" if endpoint else "auto")
    if style not in {"path", "virtual", "auto"}:
        raise ImproperlyConfigured("SEVA_S3_ADDRESSING_STYLE must be path or virtual.")
    return {
        "BACKEND": "seva.config.storage.PrivateS3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "region_name": region,
            "endpoint_url": endpoint or None,
            "access_key": access_key or None,
            "secret_key": secret_key or None,
            "location": value("SEVA_S3_PREFIX").strip("/"),
            # No ACL on any object: the bucket's private policy applies to each.
            "default_acl": None,
            # url() (Wagtail's image library uses it) signs, and a signature lasts 5 minutes.
            "querystring_auth": True,
            "querystring_expire": 300,
            # A name already taken gets another, as on the local disk: nothing is replaced.
            "file_overwrite": False,
            # A file read for streaming is held in memory up to 1 MB, then in TMPDIR.
            "max_memory_size": 1024 * 1024,
            "client_config": Config(
                s3={"addressing_style": style},
                signature_version="s3v4",
                connect_timeout=5,
                read_timeout=30,
                retries={"mode": "standard", "total_max_attempts": 3},
            ),
        },
    }
