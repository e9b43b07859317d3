import pytest
from django.db import OperationalError, connection
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_it_reports_database_and_redis_answering(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}


@override_settings(REDIS_URL="redis://127.0.0.1:1/0")
def test_it_stays_up_but_says_so_when_redis_does_not_answer(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json()["redis"] == "unavailable"


def test_it_answers_503_when_the_database_does_not(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "ensure_connection", refuse)
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"
