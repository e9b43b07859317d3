"""The scan the browser suite runs over its logs (tests/log_check.py) finds a person's identifiers in any
form a log line might hold them, and nothing else."""

import logging

import pytest

from tests.log_check import Captured, identifiers_in_database, leaks

pytestmark = pytest.mark.django_db


def test_it_finds_each_kind_of_identifier_and_passes_clean_lines(jane, pat):
    lines = [
        f"INFO phb Looked up {jane.nhs_number}",
        f"INFO phb Looked up {jane.nhs_number_display}",
        "WARNING django.request Not Found: /people/0d9b0a1e-6f5e-4a57-9a3c-1d0a8f6f6c11/",
        f"ERROR phb Could not send to {jane.family_name.upper()}",
        f"INFO phb Address {jane.address_line_1}",
        f"INFO phb {jane.postcode.lower()}",
        f"INFO phb Account {pat.email}",
        "INFO phb Smithfield market",  # a name inside another word is not a name
    ]
    found = leaks(lines, identifiers_in_database())
    assert [line.split(" holds")[0] for line in found] == [f"log line {n}" for n in (1, 2, 4, 5, 6, 7)]
    assert "NHS number" in found[0] and "family name" in found[2] and "e-mail address" in found[5]


def test_the_handler_keeps_what_the_loggers_say_with_their_exceptions():
    handler = Captured()
    logger = logging.getLogger("phb.tests.log_scan")
    logger.addHandler(handler)
    try:
        try:
            raise ValueError("no such record 9434765919")
        except ValueError:
            logger.exception("Failed")
    finally:
        logger.removeHandler(handler)
    [line] = handler.lines
    assert line.startswith("ERROR phb.tests.log_scan Failed")
    assert "no such record 9434765919" in line  # the traceback is scanned too
