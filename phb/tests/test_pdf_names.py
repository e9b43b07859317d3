"""A download's file name is built from a slug of the person's name: a line break, a quote or a slash in a
family name cannot break the header (it was a 500) or add a second file name; another script keeps its
letters through RFC 6266's filename*."""

import pytest
from django.urls import reverse

from people.models import Person
from phb.pdf import pdf_attachment

pytestmark = pytest.mark.django_db

HOSTILE = ["Smith\nSet-Cookie: x=1", 'Smith"; filename="evil.exe', "../../etc/passwd", "\x00\r\n", "Zoë 李", ""]


@pytest.mark.parametrize("family_name", HOSTILE)
def test_any_name_makes_one_safe_file_name(family_name):
    header = pdf_attachment(b"%PDF", "support-plan", family_name, "v1")["Content-Disposition"]
    assert header.startswith("attachment; filename")
    assert "\n" not in header and "\r" not in header and "\x00" not in header
    assert header.count("filename=") + header.count("filename*=") == 1
    assert ".." not in header and "/" not in header.replace("utf-8''", "")


def test_a_name_in_another_script_keeps_its_letters():
    header = pdf_attachment(b"%PDF", "support-plan", "Zoë 李", "v1")["Content-Disposition"]
    assert header == "attachment; filename*=utf-8''support-plan-zo%C3%AB-%E6%9D%8E-v1.pdf"


def test_the_plan_pdf_of_someone_with_a_line_break_in_their_name_downloads(client, alice, jane):
    from careplans.tests.factories import complete_plan

    version = complete_plan(person=jane, coordinator=alice)
    Person.objects.filter(pk=jane.pk).update(family_name="Smith\nJones")
    client.force_login(alice)
    response = client.get(reverse("careplans:pdf", kwargs={"pk": version.pk}))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="support-plan-smith-jones-v1.pdf"'
