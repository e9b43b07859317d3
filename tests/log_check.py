"""Finding people's identifiers in logs: what the browser suite's log capture (tests/browser/conftest.py)
scans for, and how.

Logs go to places the audit trail's protections do not reach (a log shipper, a support engineer's
terminal), so nothing in them may identify a person: no NHS number (with or without its spaces), name,
address line, postcode, e-mail address or phone number of anyone the service holds a record for, nor
a patient account's name or e-mail address.
"""

import logging
import re
from dataclasses import dataclass

# Shorter values (a two-letter given name, a one-word town) would be found inside ordinary words.
SHORTEST = 3
LOG_FORMAT = logging.Formatter("%(levelname)s %(name)s %(message)s")


class Captured(logging.Handler):
    """Keeps every record as the line a log would show, exception and stack included."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(LOG_FORMAT)

    def emit(self, record):
        try:
            self.lines.append(self.format(record))
        except Exception:  # a record that cannot be formatted must not break the test it came from
            self.lines.append(f"{record.levelname} {record.name} (unformattable) {record.msg!r}")


@dataclass(frozen=True)
class Identifier:
    what: str  # "NHS number", "family name"...
    value: str


def identifiers_in_database() -> list[Identifier]:
    """Every person's identifiers, and every patient account's, as held now."""
    from people.models import Person, User
    from people.nhs_number import formatted
    from phb.roles import Role

    found = []
    for person in Person.objects.all():
        found += [
            Identifier("NHS number", person.nhs_number),
            Identifier("NHS number", formatted(person.nhs_number)),
            Identifier("given name", person.given_name),
            Identifier("family name", person.family_name),
            Identifier("preferred name", person.preferred_name),
            Identifier("address", person.address_line_1),
            Identifier("address", person.address_line_2),
            Identifier("postcode", person.postcode),
            Identifier("e-mail address", person.email),
            Identifier("phone number", person.phone),
            Identifier("representative's name", person.representative_name),
        ]
    for user in User.objects.filter(role=Role.PATIENT):
        found += [
            Identifier("account name", user.first_name),
            Identifier("account name", user.last_name),
            Identifier("e-mail address", user.email),
        ]
    return [identifier for identifier in found if len((identifier.value or "").strip()) >= SHORTEST]


def leaks(lines: list[str], identifiers: list[Identifier]) -> list[str]:
    """Each log line holding an identifier (as a whole word, in any case), saying which kind, never which."""
    patterns = {
        identifier: re.compile(rf"(?<!\w){re.escape(identifier.value.strip())}(?!\w)", re.IGNORECASE)
        for identifier in identifiers
    }
    found = []
    for number, line in enumerate(lines, start=1):
        kinds = sorted({identifier.what for identifier, pattern in patterns.items() if pattern.search(line)})
        if kinds:
            found.append(f"log line {number} holds a {', '.join(kinds)}: {line[:200]}")
    return found
