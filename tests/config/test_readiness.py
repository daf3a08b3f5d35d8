"""Readiness tells a load balancer which shared part a node has lost: a production node
(gunicorn, the production settings) whose object store or Redis stops answers /readyz with 503
naming `file_store` or `cache`, while /healthz, which touches nothing, still answers 200; the
node is ready again when the part comes back. Each test runs a store and a Redis of its own,
so that stopping them disturbs nothing else. And a bucket that does not exist is not ready,
though a missing key in it would look the same as an empty store to a plain read."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from tests.objectstore import ObjectStore
from tests.production import REDIS_SERVER, Browser, Process, Redis, production_env, web_node

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="production runs on PostgreSQL"),
    pytest.mark.skipif(REDIS_SERVER is None, reason="needs the redis-server program"),
]


@dataclass
class Node:
    web: Process
    store: ObjectStore
    redis: Redis

    def readyz(self) -> tuple[int, dict]:
        answer = Browser("127.0.0.1").get(self.web, "/readyz")
        return answer.status, answer.json()

    def healthz(self) -> int:
        return Browser("127.0.0.1").get(self.web, "/healthz").status


@pytest.fixture
def node(tmp_path: Path, db) -> Iterator[Node]:
    store = ObjectStore(tmp_path / "moto.log").start()
    redis = Redis().start()
    env = production_env(redis=redis, store=store, var_dir=tmp_path / "var", tmp_dir=tmp_path)
    web = web_node("node", env, tmp_path / "node.log")
    web.env["SEVA_WEB_WORKERS"] = "1"  # one process: each answer comes from the same checks
    try:
        web.start().wait_until_ready()
        yield Node(web, store, redis)
    finally:
        web.stop()
        store.stop()
        redis.stop()


def _checks(status: int, body: dict, *, unavailable: str | None) -> None:
    everything = {"database", "cache", "file_store", "migrations"}
    assert set(body["checks"]) == everything
    if unavailable is None:
        assert status == 200 and body == {"status": "ok", "checks": dict.fromkeys(everything, "ok")}
    else:
        assert status == 503 and body["status"] == "unavailable"
        assert body["checks"] == {
            **dict.fromkeys(everything, "ok"),
            unavailable: "unavailable",
        }


@pytest.mark.django_db
def test_readyz_names_the_object_store_when_it_stops(node):
    _checks(*node.readyz(), unavailable=None)
    node.store.stop()
    try:
        _checks(*node.readyz(), unavailable="file_store")
        assert node.healthz() == 200
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{node.web.tail()}") from exc
    # Back on the same address (an empty store: its bucket made again): ready again.
    node.store.start()
    _checks(*node.readyz(), unavailable=None)


@pytest.mark.django_db
def test_readyz_names_redis_when_it_stops(node):
    _checks(*node.readyz(), unavailable=None)
    node.redis.stop()
    try:
        _checks(*node.readyz(), unavailable="cache")
        assert node.healthz() == 200
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{node.web.tail()}") from exc


@pytest.mark.django_db
def test_a_bucket_that_does_not_exist_is_not_ready(s3_storage, settings):
    assert Client().get("/readyz").json()["checks"]["file_store"] == "ok"
    missing = s3_storage.storages()
    missing["default"]["OPTIONS"] = {**missing["default"]["OPTIONS"], "bucket_name": "no-such"}
    settings.STORAGES = missing
    answer = Client().get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["checks"]["file_store"] == "unavailable"
