"""A person's journey stage as an NHS.UK tag, the same on staff pages and in the portal; the top of the person
page (the summary card and the journey's task list, casework.journey)."""

from dataclasses import dataclass
from html import escape as esc

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from budgets.selectors import budget_unusable_reason
from budgets.templatetags.budgets import budget_panel
from careplans.models import Status
from careplans.templatetags.careplans import plan_panel
from casework import journey, selectors
from casework.stages import Holder, Stage, Where
from eligibility.templatetags.eligibility import eligibility_panel
from payments.flagging import flags_on
from people.models import EngagementSupport
from phb import words
from phb.links import id_link

register = template.Library()


@register.filter
def stage(person) -> Where:
    """The stage of a person read through casework.selectors.with_stage (no query)."""
    return selectors.where(person)


@register.simple_tag
def stage_tag(where: Where, for_person: bool = False):
    """The stage as an NHS.UK tag in its one colour (casework.stages.SHAPES), for staff or (for_person) in the
    portal's words."""
    label = where.label_for_person if for_person else where.label
    return format_html('<strong class="nhsuk-tag nhsuk-tag--{}" data-testid="stage">{}</strong>', where.colour, label)


@register.simple_tag
def next_action(where: Where):
    """The next action, and who holds it when someone does."""
    if where.holder == Holder.NOBODY:
        return where.next_action
    return format_html('{} <span class="nhsuk-body-s">({})</span>', where.next_action, where.holder.label)


# The caseload's rows, written here rather than in a template loop: drawing a page of 50 took 3.7 ms in a
# template and as long through format_html (Django's escaping checks each argument for lazy text); plain
# strings escaped by the standard library take a fraction of that. Text from the records is escaped (esc);
# the stage tag and next action come already escaped from their own tags.
def _cell(heading: str, content: str, testid: str = "") -> str:
    attribute = f' data-testid="{testid}"' if testid else ""
    return (
        f'<td role="cell" class="nhsuk-table__cell"{attribute}>'
        f'<span class="nhsuk-table-responsive__heading" aria-hidden="true">{heading} </span>{content}</td>'
    )


def _flag_tags(person) -> str:
    """The money flags raised on the person's plans (payments.flagging.with_flags), each an orange tag under the
    stage: something to look at."""
    return "".join(
        f'<br><strong class="nhsuk-tag nhsuk-tag--orange nhsuk-u-margin-top-1" data-testid="money-flag">'
        f"{esc(code.title)}</strong>"
        for code, _sentence in flags_on(person)
    )


@register.simple_tag
def money_flags(person) -> dict:
    """The person page's money to look at: the flags read with the person, and the money page of the plan they
    are raised on ({% money_flags person as flags %}; no query)."""
    found = flags_on(person)
    plan = getattr(person, "money_plan", None)
    link = reverse("payments:money", kwargs={"plan_id": plan}) if found and plan else ""
    return {"flags": [{"title": code.title, "sentence": sentence} for code, sentence in found], "link": link}


@register.simple_tag
def caseload_rows(people):
    """The caseload table's rows: name (a link to the person), NHS number, date of birth, care team, lead
    coordinator, engagement support (substantial as an orange tag), the stage tag and the next action."""
    rows = []
    for person in people:
        where = selectors.where(person)
        support = esc(person.get_engagement_support_display())
        if person.engagement_support == EngagementSupport.SUBSTANTIAL:
            support = f'<strong class="nhsuk-tag nhsuk-tag--orange">{support}</strong>'
        lead = person.lead_coordinator.display_name if person.lead_coordinator else ""
        url = esc(id_link("people:detail", "pk", person.pk))
        cells = (
            _cell("Name", f'<a href="{url}">{esc(person.family_name.upper())}, {esc(person.given_name)}</a>'),
            _cell("NHS number", esc(person.nhs_number_display)),
            _cell("Date of birth", esc(words.long_date(person.date_of_birth))),
            _cell("Care team", esc(person.care_team.name)),
            _cell("Lead coordinator", esc(lead or "Not yet chosen")),
            _cell("Engagement support", support),
            _cell("Stage", stage_tag(where) + _flag_tags(person)),
            _cell(
                "Next action",
                next_action(where) if where.holder != Holder.NOBODY else esc(where.next_action),
                testid="next-action",
            ),
        )
        rows.append(f'<tr role="row" class="nhsuk-table__row">{"".join(cells)}</tr>')
    return mark_safe("\n".join(rows))  # noqa: S308 (every piece of text from the records escaped above)


@register.simple_tag
def tray_rows(section):
    """A work tray section's rows (casework.trays.Section), written here as the caseload's are: a coordinator's
    home draws up to a hundred rows, and the template loop took a third of the page's time. Each row: the
    person, linking to the page that does the work (what to do, again, for a screen reader), what to do, and
    since when with how long as a tag."""
    rows = []
    for row in section.rows:
        says = esc(row.says)
        cells = (
            _cell(
                "Person",
                f'<a href="{esc(row.link)}" data-testid="tray-link">{esc(row.name)}'
                f'<span class="nhsuk-u-visually-hidden">: {says}</span></a>',
            ),
            _cell("What to do", says),
            _cell(
                "When",
                f'{esc(words.long_date(row.since))}<br><strong class="nhsuk-tag nhsuk-tag--{esc(row.tag)}" '
                f'data-testid="tray-days">{esc(row.waiting)}</strong>',
            ),
        )
        rows.append(f'<tr role="row" class="nhsuk-table__row" data-testid="tray-row">{"".join(cells)}</tr>')
    return mark_safe("\n".join(rows))  # noqa: S308 (every piece of text escaped above)


@register.inclusion_tag("casework/_person_stage.html")
def person_stage(person):
    """The stage and next action under a person's name on their page: read with the person when the page
    loaded them annotated (people.access.RECORD_ANNOTATIONS), else in one query."""
    if hasattr(person, "stage"):
        return {"where": selectors.where(person)}
    return {"where": selectors.stage_for(person=person, today=timezone.localdate())}


# The top of the person page: the summary card and the journey as a task list (casework.journey), read from
# what the page's panels read anyway (each panel's own context, asked once), so they cost the page no query.

# Each panel below the task list: its context (the app's own inclusion tag function) and its template.
PANELS = (
    (eligibility_panel, "eligibility/_person_panel.html"),
    (budget_panel, "budgets/_person_panel.html"),
    (plan_panel, "careplans/_person_panel.html"),
)


@dataclass(frozen=True)
class Journey:
    where: Where
    steps: list  # (journey.StepState, the step's page or "")
    money: journey.Money
    next_review_on: object
    panels: list  # (template name, context) in page order


@register.simple_tag(takes_context=True)
def person_journey(context, person) -> Journey:
    """What the top of the person page shows: {% person_journey person as journey %}. The eligibility panel
    is read first: it keeps the screenings on the person, which the budget and plan rules then ask."""
    read = [(template_name, panel(context, person)) for panel, template_name in PANELS]
    eligibility, budgets, plans = (values for _, values in read)
    where = person_stage(person)["where"]
    running = getattr(person, "in_force_number", None) is not None
    budget = budgets["budget"]
    money = journey.money_of(
        in_force_annual=getattr(person, "in_force_annual", None),
        in_force_money=getattr(person, "in_force_money", None),
        budget_annual=budget.annual_amount if budget else None,
        budget_unusable=budget_unusable_reason(budget, known_latest=True) if budget else None,
        ended=where.stage == Stage.ENDED,
        starting_annual=getattr(person, "starting_annual", None),
        starting_money=getattr(person, "starting_money", None),
        starting_on=getattr(person, "starting_on", None),
    )
    links = _step_links(eligibility["current"], budgets["assessment"], budget, plans["plans"])
    return Journey(
        where=where,
        steps=[(state, links.get(state.step, "")) for state in journey.steps_of(where, running=running)],
        money=money,
        next_review_on=plans["next_review_on"],
        panels=read,
    )


def _step_links(screening, assessment, budget, plans) -> dict:
    """Each step's page, where it has one: the latest screening, assessment and budget, and the newest plan's
    versions (newest first) and reviews."""
    links = {}
    if screening:
        links[journey.Step.SCREENING] = reverse("eligibility:detail", kwargs={"pk": screening.pk})
    if assessment:
        links[journey.Step.ASSESSMENT] = reverse("budgets:assessment", kwargs={"pk": assessment.pk})
    if budget:
        links[journey.Step.BUDGET] = reverse("budgets:budget", kwargs={"pk": budget.pk})
    if not plans:
        return links
    plan, versions = plans[0]

    def version_link(version):
        return reverse("careplans:version", kwargs={"pk": version.pk})

    links[journey.Step.PLAN] = version_link(versions[0])
    decided = next((v for v in versions if v.status not in Status.EDITABLE), None)
    if decided:
        links[journey.Step.APPROVAL] = version_link(decided)
    agreed = next((v for v in versions if v.status in Status.AGREED), None)
    if agreed:
        links[journey.Step.ACTIVE] = version_link(agreed)
        links[journey.Step.REVIEWS] = reverse("careplans:plan_reviews", kwargs={"pk": plan.pk})
    return links


@register.simple_tag(takes_context=True)
def journey_panel(context, panel):
    """One of the sections below the task list, from the context its panel already read."""
    template_name, values = panel
    # As an inclusion tag does, the panel keeps the page's CSRF token (for any form it has).
    values = {"csrf_token": context.get("csrf_token"), **values}
    return context.template.engine.get_template(template_name).render(context.new(values))
