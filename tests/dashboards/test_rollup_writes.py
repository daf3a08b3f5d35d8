"""What a change costs the rollups: one SQL statement per submission and per transition,
whatever the number of rollup tables (the action, the rating and the move of a transition
written together), and the new tables filled for a database that already has rollups."""

from __future__ import annotations

import datetime as dt
import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from seva.applications.models import Application
from seva.applications.services import application_act, application_submit, feedback_give
from seva.dashboards.selectors import rollups_differences
from seva.dashboards.services import FOLDED, ROLLUPS, fold_past_due, stored_rollups
from seva.definitions.models import Service
from tests.dashboards.test_grievances import ATR
from tests.helpers import example_with_documents, ist

TABLES = [rollup.model._meta.db_table for rollup in ROLLUPS.values()]


def _rollup_statements(queries) -> list[str]:
    return [q["sql"] for q in queries if any(table in q["sql"] for table in TABLES)]


def _grievance(user, at: dt.datetime) -> Application:
    service = Service.objects.get(code="public-grievance")
    data = example_with_documents(service, user("citizen"))
    return application_submit(service=service, data=data, applicant=user("citizen"), at=at)


def _act(user, application, username, action, at, inputs=None):
    with CaptureQueriesContext(connection) as queries:
        application_act(
            application=Application.objects.get(pk=application.pk),
            user=user(username),
            action=action,
            remarks="Done.",
            inputs=inputs or {},
            at=at,
        )
    return _rollup_statements(queries.captured_queries)


@pytest.mark.django_db
def test_a_submission_bumps_every_rollup_table_in_one_statement(user):
    service = Service.objects.get(code="income-certificate")
    data = example_with_documents(service, user("citizen"))
    with CaptureQueriesContext(connection) as queries:
        application_submit(
            service=service, data=data, applicant=user("citizen"), at=ist(2026, 10, 1, 10)
        )
    statements = _rollup_statements(queries.captured_queries)
    if connection.vendor == "postgresql":
        assert len(statements) == 1
        # A received file counts in every table: flows, open files, all time.
        assert all(table in statements[0] for table in TABLES)
    else:  # SQLite has no data-modifying CTEs: one statement per table
        assert len(statements) == len(TABLES)
    assert rollups_differences() == []


@pytest.mark.django_db
def test_a_transition_writes_its_action_rating_and_move_in_one_statement(user):
    g1 = _grievance(user, ist(2026, 5, 4, 10))
    g2 = _grievance(user, ist(2026, 5, 4, 11))
    one = 1 if connection.vendor == "postgresql" else None

    # The action taken report: an action the board counts, and a move between due dates.
    statements = _act(
        user, g1, "grievance.l1.ambala", "submit_action_taken_report", ist(2026, 5, 6, 11), ATR
    )
    assert len(statements) == (one or len(statements)) and statements
    # The citizen's consent with a rating: action, rating and closure, all in one.
    statements = _act(user, g1, "citizen", "accept_closure", ist(2026, 5, 7, 9), {"rating": 4})
    if one:
        assert len(statements) == 1
        assert "rated" in statements[0] and "consented" in statements[0]
        assert "disposed" in statements[0] and "open_count" in statements[0]
    # Feedback given after closure: a statement of its own.
    _act(user, g2, "grievance.l1.ambala", "submit_action_taken_report", ist(2026, 5, 6, 12), ATR)
    _act(user, g2, "citizen", "accept_closure", ist(2026, 5, 7, 10), {})
    with CaptureQueriesContext(connection) as queries:
        feedback_give(
            application=Application.objects.get(pk=g2.pk),
            rating=2,
            comment="Slow.",
            at=ist(2026, 5, 8, 10),
        )
    flow_tables = [rollup for rollup in ROLLUPS.values() if rollup.period != "open"]
    assert len(_rollup_statements(queries.captured_queries)) == (one or len(flow_tables))
    assert rollups_differences() == []


@pytest.mark.django_db
def test_an_action_that_changes_nothing_the_board_counts_costs_no_statement(user):
    service = Service.objects.get(code="income-certificate")
    data = example_with_documents(service, user("citizen"))
    data["address"]["tehsil"] = "HR-AMB-AMB-AMB"
    application = application_submit(
        service=service, data=data, applicant=user("citizen"), at=ist(2026, 10, 1, 10)
    )
    # Forwarded inside the office: still open, due the same day, the clock running.
    statements = _act(
        user, application, "clerk.ambala", "forward_for_verification", ist(2026, 10, 1, 11)
    )
    assert statements == []
    assert rollups_differences() == []


@pytest.mark.django_db
def test_the_migration_fills_the_new_tables_from_the_fine_ones(user, scenario):
    migration = importlib.import_module(
        "seva.dashboards.migrations.0004_service_place_state_rollups"
    )
    new = [name for name in ROLLUPS if name.split()[0] in ("service", "place", "state")]
    before = stored_rollups()
    for name in new:
        ROLLUPS[name].model.objects.all().delete()
    migration.fill_from_the_fine_tables(apps, SimpleNamespace(connection=connection))
    after = stored_rollups()
    today = timezone.localdate()
    for name in new:
        if name in FOLDED:
            before[name] = fold_past_due(name, before[name], today)
            after[name] = fold_past_due(name, after[name], today)
        assert after[name] == before[name], name
    assert rollups_differences() == []
