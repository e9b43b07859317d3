"""Figures worked out from the records, kept for a minute and dropped by any change (the header's counts).

Every change to the records goes through a service that audits it (phb.audit.record); once the change is
committed, `changed()` moves a generation number on in Redis. A figure is cached under the generation it was
worked out at, so the first page after any change works it out again: staff never see a count older than the
last change anyone made. What changes with no one acting (a review falling overdue at midnight, an invitation
running out, a message the outbox gave up on) shows within `FRESH_FOR` seconds; callers also put the date in
their key.

Redis is a help, not a need: if it does not answer (`make run` without it), every figure is worked out each
time, as if nothing were cached.
"""

import functools
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)

# How long a figure may be kept with no change: the most a count may lag a change no one made.
FRESH_FOR = 60
# Redis is asked with a short timeout: a slow cache must not slow the page more than working it out would.
TIMEOUT_S = 0.25


# After Redis fails to answer, it is left alone for this long: a page pays for one timeout, not one a request.
REST_S = 5.0
_resting_until = 0.0


def _rest(error: Exception, doing: str) -> None:
    global _resting_until
    _resting_until = time.monotonic() + REST_S
    logger.warning("%s (Redis left alone for %s s): %s", doing, REST_S, error)


def _resting() -> bool:
    return time.monotonic() < _resting_until


@functools.lru_cache(maxsize=1)
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S)


def _prefix() -> str:
    # One namespace a database (its host, port and name), so two installations sharing a Redis, a test run, the
    # bench and a developer's site never share figures.
    database = settings.DATABASES["default"]
    return f"phb:freshness:{database.get('HOST') or ''}:{database.get('PORT') or ''}:{database['NAME']}:"


def _bump() -> None:
    if _resting():
        return
    try:
        _redis().incr(_prefix() + "generation")
    except redis.RedisError as error:
        _rest(error, "Could not mark the cached figures stale")


def stale_now() -> None:
    """Marks every cached figure stale at once (tests measuring a page as it is when nothing is cached)."""
    _bump()


def changed() -> None:
    """Marks every cached figure stale once the current transaction commits (at once outside one)."""
    transaction.on_commit(_bump)


@dataclass(frozen=True)
class Lookup:
    """What a key held under the generation current when it was looked up, and where to keep figures worked
    out now (the generation read before working them out, so a change made meanwhile is never hidden)."""

    name: str  # "" when Redis did not answer: nothing is kept
    figures: dict | None


# The generation and the figure kept under it, in one round trip to Redis rather than two: a page looks up two
# sets of figures, and on two busy cores each round trip waits its turn for the CPU.
_LOOK = """
local generation = redis.call('GET', KEYS[1]) or '0'
return {generation, redis.call('GET', ARGV[1] .. ':' .. generation)}
"""


@functools.lru_cache(maxsize=2)
def _look_script(client: redis.Redis):
    return client.register_script(_LOOK)


def look(key: str) -> Lookup:
    if _resting():
        return Lookup("", None)
    try:
        generation, found = _look_script(_redis())(keys=[_prefix() + "generation"], args=[_prefix() + key])
        name = f"{_prefix()}{key}:{generation.decode()}"
    except redis.RedisError as error:
        _rest(error, "Cached figures unavailable, working them out")
        return Lookup("", None)
    return Lookup(name, json.loads(found) if found is not None else None)


def keep(lookup: Lookup, figures: dict) -> None:
    if not lookup.name or _resting():
        return
    try:
        _redis().set(lookup.name, json.dumps(figures), ex=FRESH_FOR)
    except redis.RedisError as error:
        _rest(error, "Could not keep the figures")


def cached(key: str, work_out: Callable[[], dict]) -> dict:
    """The figures under `key` (a JSON-able dict) as of the last change, worked out by `work_out` when there is
    none."""
    lookup = look(key)
    if lookup.figures is not None:
        return lookup.figures
    figures = work_out()
    keep(lookup, figures)
    return figures


# Figures slow to work out (the PHB team's dashboard over everyone, seconds at national scale) -------------------
#
# Dropped by any change, such a figure would be worked out again on nearly every page at national scale, where
# someone changes something every few seconds, and each page would wait for it. So it is kept twice: under the
# generation (as above) and as the last copy, with when it was worked out and how long that took. When the
# generation has moved on and the last copy took longer than SLOW_MS, the page is given the last copy (at most
# STALE_FOR seconds old, its time said on the page) and a worker works the figures out again (`refresh`, queued
# once a key at a time). Anything quick, or with no copy young enough, is worked out there and then.
SLOW_MS = 500
STALE_FOR = 300
# How long one worker may hold the right to work a key out again (then another may).
REFRESH_CLAIM_S = 120


def forget_last_copies() -> None:
    """Drops every last copy of this database's figures (a test starts with none from an earlier test)."""
    if _resting():
        return
    try:
        client = _redis()
        names = list(client.scan_iter(match=f"{_prefix()}*:last", count=1000))
        if names:
            client.delete(*names)
    except redis.RedisError as error:
        _rest(error, "Could not drop the last copies")


@dataclass(frozen=True)
class Kept:
    figures: dict
    at: float  # when they were worked out (seconds since the epoch)
    newer_coming: bool  # a worker is working them out again


def _last_name(key: str) -> str:
    return f"{_prefix()}{key}:last"


def _read_last(key: str) -> dict | None:
    try:
        found = _redis().get(_last_name(key))
    except redis.RedisError as error:
        _rest(error, "Cached figures unavailable, working them out")
        return None
    return json.loads(found) if found is not None else None


def _claim_refresh(key: str) -> bool:
    try:
        return bool(_redis().set(f"{_prefix()}{key}:refreshing", 1, nx=True, ex=REFRESH_CLAIM_S))
    except redis.RedisError as error:
        _rest(error, "Could not claim the figures' refresh")
        return False


def kept_or_refreshed(key: str, work_out: Callable[[], dict], refresh: Callable[[], None]) -> Kept:
    """The figures under `key` as of the last change; or, when they take long to work out, the last copy while
    `refresh` (which queues `worked_out_and_kept` for the key on a worker) brings them up to date."""
    lookup = look(key)
    if lookup.figures is not None:
        return Kept(lookup.figures["figures"], lookup.figures["at"], newer_coming=False)
    if lookup.name:
        last = _read_last(key)
        if last is not None and last["took_ms"] >= SLOW_MS and time.time() - last["at"] < STALE_FOR:
            if _claim_refresh(key):
                refresh()
            return Kept(last["figures"], last["at"], newer_coming=True)
    return worked_out_and_kept(key, work_out, lookup)


def worked_out_and_kept(key: str, work_out: Callable[[], dict], lookup: Lookup | None = None) -> Kept:
    """Works the figures out now and keeps them under the generation read before (so a change made meanwhile is
    never hidden) and as the last copy."""
    lookup = lookup or look(key)
    started = time.perf_counter()
    figures = work_out()
    kept = {"figures": figures, "at": time.time(), "took_ms": (time.perf_counter() - started) * 1000}
    keep(lookup, kept)
    if lookup.name and not _resting():
        try:
            pipeline = _redis().pipeline()
            pipeline.set(_last_name(key), json.dumps(kept), ex=STALE_FOR)
            pipeline.delete(f"{_prefix()}{key}:refreshing")
            pipeline.execute()
        except redis.RedisError as error:
            _rest(error, "Could not keep the figures")
    return Kept(figures, kept["at"], newer_coming=False)
