"""Links to a page about one record, for lists that draw many rows: a work tray's 36 rows or a caseload's 25.

django.urls.reverse took 60 to 100 us a link here (it matches every candidate pattern for the name each time), a
tenth of a work tray's request. The URL is worked out once for a stand-in id and the row's own id written in its
place: the same text reverse() gives (phb/tests/test_links.py compares them for every link the trays make).
"""

import functools
import uuid

from django.urls import NoReverseMatch, get_script_prefix, reverse

# Ids no record has, one for each kind of path converter an id passes through (<uuid:pk>, <int:pk>).
_STAND_INS = (uuid.UUID(int=0x7E57_1D00_0000_4000_8000_0000_0000_0001), 987_654_321_987)


def id_link(name: str, key: str, value) -> str:
    """reverse(name, kwargs={key: value}) for a URL whose one argument is a record's id (a UUID, or its text,
    or a whole number)."""
    head, tail, kind = _around(name, key, get_script_prefix())
    return f"{head}{kind(value)}{tail}"


def _as_uuid(value) -> str:
    return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))


def _as_int(value) -> str:
    return str(int(value))


@functools.lru_cache(maxsize=128)
def _around(name: str, key: str, script_prefix: str) -> tuple[str, str, object]:
    """The URL's text before and after its id, and how the id is written (script_prefix: the cache's key only,
    as reverse() reads it itself)."""
    for stand_in, kind in zip(_STAND_INS, (_as_uuid, _as_int), strict=True):
        try:
            url = reverse(name, kwargs={key: stand_in})
        except NoReverseMatch:
            continue
        head, found, tail = url.partition(str(stand_in))
        if found and str(stand_in) not in tail:
            return head, tail, kind
    raise NoReverseMatch(f"{name} does not take one id as {key}")
