"""phb.freshness: figures kept in Redis until anyone's change is committed, and worked out without Redis."""

import pytest
from django.db import transaction

from phb import audit, freshness
from phb.models import AuditAction

pytestmark = pytest.mark.django_db(transaction=True)


def counter():
    calls = []

    def work_out():
        calls.append(1)
        return {"n": len(calls)}

    return calls, work_out


def test_a_figure_is_kept_until_a_change_commits(alice):
    freshness.stale_now()
    calls, work_out = counter()
    assert freshness.cached("test-kept", work_out) == {"n": 1}
    assert freshness.cached("test-kept", work_out) == {"n": 1}
    audit.record(actor=alice, action=AuditAction.UPDATE, summary="Changed something")
    assert freshness.cached("test-kept", work_out) == {"n": 2}
    assert len(calls) == 2


def test_a_change_rolled_back_keeps_the_figure(alice):
    freshness.stale_now()
    calls, work_out = counter()
    freshness.cached("test-rolled-back", work_out)
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record(actor=alice, action=AuditAction.UPDATE, summary="Changed something")
        raise RuntimeError("rolled back")
    assert freshness.cached("test-rolled-back", work_out) == {"n": 1}


def test_reading_a_record_is_not_a_change(alice):
    freshness.stale_now()
    calls, work_out = counter()
    freshness.cached("test-read", work_out)
    audit.record(actor=alice, action=AuditAction.VIEW, summary="Viewed something")
    assert freshness.cached("test-read", work_out) == {"n": 1}


def test_without_redis_every_figure_is_worked_out(settings, monkeypatch):
    monkeypatch.setattr(freshness, "_resting_until", 0.0)  # put back after the test
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    freshness._redis.cache_clear()
    try:
        calls, work_out = counter()
        assert [freshness.cached("test-no-redis", work_out) for _ in range(2)] == [{"n": 1}, {"n": 2}]
        freshness.changed()  # and marking them stale does not fail
    finally:
        freshness._redis.cache_clear()


def test_after_redis_fails_it_is_left_alone_for_a_while(settings, monkeypatch):
    monkeypatch.setattr(freshness, "_resting_until", 0.0)
    asked = []
    real = freshness._redis

    def counted():
        asked.append(1)
        return real()

    monkeypatch.setattr(freshness, "_redis", counted)
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    real.cache_clear()
    try:
        calls, work_out = counter()
        for _ in range(3):
            freshness.cached("test-resting", work_out)
        assert len(asked) == 1 and len(calls) == 3  # one failed try, then worked out without asking
        monkeypatch.setattr(freshness, "_resting_until", 0.0)  # the rest is over
        freshness.cached("test-resting", work_out)
        assert len(asked) == 2
    finally:
        real.cache_clear()


def test_a_look_is_one_round_trip_to_redis(monkeypatch):
    """The generation and the figure under it come back together (a script run in Redis), not in two calls."""
    freshness.keep(freshness.look("round-trips"), {"n": 1})
    assert freshness.look("round-trips").figures == {"n": 1}  # the script is loaded in Redis by now
    client = freshness._redis()
    calls = []
    real = client.execute_command
    monkeypatch.setattr(client, "execute_command", lambda *args, **kw: calls.append(args[0]) or real(*args, **kw))
    assert freshness.look("round-trips").figures == {"n": 1}
    assert calls == ["EVALSHA"]
    freshness.stale_now()
    assert freshness.look("round-trips").figures is None  # a change still hides it
