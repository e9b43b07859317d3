"""The freeze triggers are built from one list of content fields on the model."""

import pytest
from django.db import connection

from careplans import triggers
from careplans.models import PlanVersion, Status

pytestmark = pytest.mark.django_db


def test_every_field_of_a_plan_version_is_either_frozen_content_or_workflow():
    fields = {f.name for f in PlanVersion._meta.concrete_fields}
    frozen, workflow = set(PlanVersion.FROZEN_FIELDS), set(PlanVersion.WORKFLOW_FIELDS)
    assert not frozen & workflow
    # A new field must be put in one list or the other (and, if frozen, a trigger migration written).
    assert fields == frozen | workflow, sorted(fields ^ (frozen | workflow))


def test_the_trigger_in_the_database_freezes_exactly_the_models_frozen_fields():
    with connection.cursor() as cursor:
        in_database = triggers.columns_in_database(cursor)
    assert in_database == triggers.frozen_columns()
    assert "care_coordinator_id" in in_database and "budget_version_id" in in_database


def test_the_trigger_and_the_model_agree_on_what_a_draft_is():
    assert triggers.DRAFT == Status.DRAFT


def test_the_columns_are_read_back_from_the_function_definition():
    # The parser reads what create_sql writes: a change to either breaks this first.
    sql = triggers.create_sql(["plan_id", "what_matters"])
    assert "ROW(NEW.plan_id, NEW.what_matters) IS DISTINCT FROM ROW(OLD.plan_id, OLD.what_matters)" in sql
