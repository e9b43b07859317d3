from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from careplans import (
    access,
    approval,
    confirmation,
    fhir,
    letters,
    lifecycle,
    review_history,
    reviews,
    rules,
    selectors,
    services,
)
from careplans.filters import EndingFilter, PlanQueueFilter, ReviewsDueFilter
from careplans.forms import (
    DecisionForm,
    EndingRefuseForm,
    EndPlanForm,
    OutcomeForm,
    PlanForm,
    ReviewForm,
    ReviewRequestForm,
    StartPlanForm,
    SupportItemForm,
)
from careplans.models import EndReason, Outcome, SupportItem
from people.access import get_person_for_user, require_staff
from phb import audit
from phb.errors import ServiceError, StaleRecordError
from phb.forms import add_service_error
from phb.once import once
from phb.pagination import page_of
from phb.pdf import pdf_attachment, render_pdf
from phb.refusals import refuse_role
from phb.roles import is_phb_team
from phb.words import long_date, lower_first

SERVICE_ERRORS = (ValidationError, ServiceError)


def _revision(request) -> int:
    try:
        return int(request.POST.get("revision", ""))
    except ValueError:
        return 0


@require_http_methods(["GET", "POST"])
@once
def plan_new(request, person_pk):
    require_staff(request.user)
    person = get_person_for_user(request.user, person_pk, write=True)
    budgets = selectors.budgets_to_start_on(person=person)
    if not budgets:
        messages.error(
            request,
            f"A plan cannot be started for {person.full_name}: they need to be eligible and to have an "
            "indicative budget the PHB team has agreed, and no support plan already under way.",
        )
        return redirect("people:detail", pk=person.pk)
    form = StartPlanForm(request.POST or None, budgets=budgets)
    if request.method == "POST" and form.is_valid():
        try:
            version = services.plan_start(
                person=person, budget_version=form.cleaned_data["budget_version"], acting_user=request.user
            )
        except SERVICE_ERRORS as error:
            add_service_error(form, error)
        else:
            messages.success(request, "Plan started. Fill in each part with the person.")
            return redirect("careplans:version", pk=version.pk)
    return render(request, "careplans/plan_new.html", {"form": form, "person": person})


@require_GET
def version_detail(request, pk):
    require_staff(request.user)
    version, siblings = access.get_version_and_siblings(request.user, pk)
    services.plan_record_view(version=version, acting_user=request.user)
    snapshot = selectors.snapshot(version)
    ending = selectors.waiting_ending_of(version)
    allowed = lifecycle.allowed_actions(version, request.user, siblings=siblings, ending=ending)
    other_versions = [other for other in siblings if other.pk != version.pk]
    return render(
        request,
        "careplans/version_detail.html",
        {
            "version": version,
            "person": version.plan.person,
            "totals": rules.totals(snapshot),
            "missing": rules.missing(snapshot) if version.is_editable else [],
            "sections": _task_list(version, snapshot) if lifecycle.Action.EDIT in allowed else [],
            "unlinked": rules.unlinked_items(snapshot),
            "can": {action.value: True for action in allowed},
            "can_decide": bool(allowed & lifecycle.DECISIONS),
            "ending": ending,
            "items": [
                (item, rules.item_annual_cost(item.unit_cost, item.quantity, item.frequency))
                for item in version.items.all()
            ],
            "other_versions": other_versions,
            "returned": selectors.returned_before(version, other_versions),
            "fhir_export": fhir.exportable(version),
            **review_history.letters_and_timeline(plan=version.plan),
        },
    )


def _task_list(version, snapshot) -> list[dict]:
    """The draft's task list: each part of the plan, its progress (careplans.rules.progress, from the gaps
    that block submission) and where to fill it in."""
    progress = rules.progress(snapshot)
    gaps = rules.gaps_by_section(snapshot)
    edit = reverse("careplans:edit", kwargs={"pk": version.pk})
    anchors = {rules.Section.OUTCOMES: "#outcomes", rules.Section.SUPPORT: "#support"}
    started_gaps = {
        section: gaps[section] if progress[section] == rules.Progress.IN_PROGRESS else [] for section in rules.Section
    }
    return [
        {
            "key": section.value,
            "title": rules.SECTION_TITLES[section],
            "label": rules.PROGRESS_LABELS[progress[section]],
            "tag": TASK_TAGS[progress[section]],
            "hint": "Still needed: " + lower_first("; ".join(started_gaps[section])) if started_gaps[section] else "",
            "href": anchors.get(section) or f"{edit}?section={section.value}",
        }
        for section in rules.Section
    ]


# The NHS.UK task list: a completed task is plain text, the others a tag.
TASK_TAGS = {rules.Progress.COMPLETED: "", rules.Progress.IN_PROGRESS: "blue", rules.Progress.NOT_STARTED: "grey"}


@require_GET
def version_confirmation(request, pk):
    """The confirmation panel after a plan is submitted or decided: what was done, the letter made and who
    was told by e-mail, read back from the records (careplans.confirmation)."""
    require_staff(request.user)
    version = access.get_version_for_user(request.user, pk, details=False)
    done = confirmation.confirmation_for(version)
    if done is None:
        return redirect("careplans:version", pk=version.pk)
    services.plan_record_view(version=version, acting_user=request.user, page="confirmation of a support plan")
    return render(
        request,
        "careplans/confirmation.html",
        {"version": version, "person": version.plan.person, "done": done, "phb_team": is_phb_team(request.user)},
    )


@require_GET
def version_check(request, pk):
    """Check your answers: the whole draft, part by part with a change link each, then the submit button.
    Opens only when the plan could be submitted now (nothing missing, and this user may submit)."""
    require_staff(request.user)
    version, siblings = access.get_version_and_siblings(request.user, pk)
    snapshot = selectors.snapshot(version)
    allowed = lifecycle.allowed_actions(version, request.user, siblings=siblings)
    if lifecycle.Action.SUBMIT not in allowed:
        known = lifecycle.facts(version, request.user, actions={lifecycle.Action.SUBMIT}, siblings=siblings)
        messages.info(request, lifecycle.refusal(lifecycle.Action.SUBMIT, known))
        return redirect("careplans:version", pk=version.pk)
    if rules.missing(snapshot):
        messages.info(request, "The plan cannot be submitted yet: the list on this page says what is still needed.")
        return redirect("careplans:version", pk=version.pk)
    services.plan_record_view(version=version, acting_user=request.user, page="support plan to check it")
    return render(
        request,
        "careplans/check.html",
        {
            "version": version,
            "person": version.plan.person,
            "totals": rules.totals(snapshot),
            "edit": reverse("careplans:edit", kwargs={"pk": version.pk}),
            "titles": {section.value: title for section, title in rules.SECTION_TITLES.items()},
            "items": [
                (
                    item,
                    rules.item_annual_cost(item.unit_cost, item.quantity, item.frequency),
                    [outcome.goal for outcome in item.linked_outcomes()],
                )
                for item in version.items.all()
            ],
        },
    )


@require_http_methods(["GET", "POST"])
def version_edit(request, pk):
    require_staff(request.user)
    version = access.get_version_for_user(request.user, pk, write=True, details=False)
    if not version.is_editable:
        raise Http404("Only a draft can be changed")
    section = _section(request)
    form = PlanForm(request.POST or None, instance=version, section=section)
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_update(
                version=version, expected_revision=_revision(request), acting_user=request.user, **form.plan_values()
            )
        except SERVICE_ERRORS as error:
            add_service_error(form, error)
        else:
            messages.success(request, "Your changes have been saved.")
            return redirect("careplans:version", pk=version.pk)
    if request.method == "GET":
        services.plan_record_view(version=version, acting_user=request.user, page="support plan to change it")
    revision = _revision(request) if request.method == "POST" else version.revision
    context = {
        "form": form,
        "version": version,
        "revision": revision,
        "section": section,
        "section_title": rules.SECTION_TITLES[section] if section else "",
    }
    return render(request, "careplans/version_edit.html", context)


def _section(request) -> rules.Section | None:
    """The part of the plan asked for (`?section=`), or None for the whole plan; an unknown part is a 404."""
    asked = request.GET.get("section")
    if not asked:
        return None
    try:
        section = rules.Section(asked)
    except ValueError:
        raise Http404("No such part of the plan") from None
    if not rules.SECTION_FIELDS[section]:  # outcomes: rows of their own, on the plan's page
        raise Http404("This part of the plan is changed on the plan's page")
    return section


def _row_form(request, version, form, save, template, title):
    if request.method == "POST" and form.is_valid():
        try:
            save(form)
        except SERVICE_ERRORS as error:
            add_service_error(form, error)
        else:
            messages.success(request, "Your changes have been saved.")
            return redirect("careplans:version", pk=version.pk)
    if request.method == "GET":
        services.plan_record_view(version=version, acting_user=request.user, page=f"support plan to {title.lower()}")
    revision = _revision(request) if request.method == "POST" else version.revision
    return render(request, template, {"form": form, "version": version, "revision": revision, "title": title})


@require_http_methods(["GET", "POST"])
@once
def outcome_edit(request, version_pk=None, pk=None):
    require_staff(request.user)
    outcome = access.get_outcome_for_user(request.user, pk) if pk else None
    version = access.get_version_for_user(
        request.user, outcome.plan_version_id if outcome else version_pk, write=True, details=False
    )
    if not version.is_editable:
        raise Http404("Only a draft can be changed")
    form = OutcomeForm(request.POST or None, instance=outcome or Outcome(plan_version=version))

    def save(form):
        services.outcome_save(
            version=version,
            outcome=outcome,
            expected_revision=_revision(request),
            acting_user=request.user,
            **form.outcome_values(),
        )

    title = "Change the outcome" if outcome else "Add an outcome"
    return _row_form(request, version, form, save, "careplans/row_form.html", title)


@require_http_methods(["GET", "POST"])
@once
def item_edit(request, version_pk=None, pk=None):
    require_staff(request.user)
    item = access.get_item_for_user(request.user, pk) if pk else None
    version = access.get_version_for_user(
        request.user, item.plan_version_id if item else version_pk, write=True, details=False
    )
    if not version.is_editable:
        raise Http404("Only a draft can be changed")
    form = SupportItemForm(request.POST or None, instance=item or SupportItem(plan_version=version), version=version)

    def save(form):
        services.item_save(
            version=version,
            item=item,
            outcomes=list(form.cleaned_data["outcomes"]),
            expected_revision=_revision(request),
            acting_user=request.user,
            **form.item_values(),
        )

    title = "Change what the money buys" if item else "Add what the money buys"
    return _row_form(request, version, form, save, "careplans/row_form.html", title)


@require_http_methods(["GET", "POST"])
@once
def row_remove(request, kind, pk):
    """Asks before removing an outcome or an item from a draft (GET), then removes it (POST)."""
    require_staff(request.user)
    row = (
        access.get_outcome_for_user(request.user, pk)
        if kind == "outcome"
        else access.get_item_for_user(request.user, pk)
    )
    version = row.plan_version
    if request.method == "POST":
        try:
            services.row_remove(row=row, expected_revision=_revision(request), acting_user=request.user)
        except ServiceError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"Removed: {row}")
        return redirect("careplans:version", pk=version.pk)
    try:
        lifecycle.check(lifecycle.Action.EDIT, version, request.user)
    except ServiceError as error:
        messages.error(request, str(error))
        return redirect("careplans:version", pk=version.pk)
    noun = "outcome" if kind == "outcome" else "support item"
    services.plan_record_view(version=version, acting_user=request.user, page=f"{noun} to remove it")
    annual = None if kind == "outcome" else rules.item_annual_cost(row.unit_cost, row.quantity, row.frequency)
    # An outcome's items (the ones left serving no outcome once it goes); an item's outcomes.
    linked = list(row.items.all()) if kind == "outcome" else list(row.outcomes.all())
    return render(
        request,
        "careplans/row_remove.html",
        {"row": row, "kind": kind, "version": version, "annual": annual, "linked": linked},
    )


@require_POST
@once
def version_submit(request, pk):
    require_staff(request.user)
    version = access.get_version_for_user(request.user, pk, write=True)
    checked = _revision(request) if "revision" in request.POST else None
    try:
        services.plan_submit(version=version, acting_user=request.user, expected_revision=checked)
    except StaleRecordError as error:
        # Changed since it was checked: check it again, as it is now.
        messages.error(request, f"{error} The plan was not submitted.")
        return redirect("careplans:check", pk=version.pk)
    except ServiceError as error:
        messages.error(request, str(error))
    else:
        return redirect("careplans:confirmation", pk=version.pk)
    return redirect("careplans:version", pk=version.pk)


@require_POST
@once
def plan_amend(request, pk):
    require_staff(request.user)
    plan = access.get_plan_for_user(request.user, pk, write=True)
    try:
        draft = services.plan_amend(plan=plan, acting_user=request.user)
    except ServiceError as error:
        messages.error(request, str(error))
        latest = plan.versions.order_by("-number").first()
        return redirect("careplans:version", pk=latest.pk)
    messages.success(request, f"Version {draft.number} started. Make the changes, then submit it for approval.")
    return redirect("careplans:version", pk=draft.pk)


@require_GET
def plan_compare(request, pk):
    require_staff(request.user)
    plan = access.get_plan_for_user(request.user, pk)
    versions = {str(v.pk): v for v in selectors.version_with_details().filter(plan=plan)}
    before, after = versions.get(request.GET.get("from", "")), versions.get(request.GET.get("to", ""))
    if before is None or after is None:
        raise Http404("Choose two versions of this plan")
    services.plan_record_view(version=after, acting_user=request.user, page=f"comparison with version {before.number}")
    snapshots = selectors.snapshot(before), selectors.snapshot(after)
    comparison = rules.compare(*snapshots)
    return render(
        request,
        "careplans/compare.html",
        {
            "plan": plan,
            "before": before,
            "after": after,
            "comparison": comparison,
            "changes": selectors.comparison_in_words(comparison, *snapshots),
        },
    )


@require_GET
def version_pdf(request, pk):
    require_staff(request.user)
    version = access.get_version_for_user(request.user, pk)
    services.plan_record_view(version=version, acting_user=request.user, page="support plan PDF")
    pdf = render_pdf("careplans/plan_pdf.html", letters.plan_document_context(version, today=timezone.localdate()))
    return pdf_attachment(pdf, "support-plan", version.plan.person.family_name, f"v{version.number}")


@require_GET
def version_fhir(request, pk):
    """The agreed version as a FHIR R4 Bundle, for other NHS systems: the same access and audit as the PDF."""
    require_staff(request.user)
    version = access.get_version_for_user(request.user, pk)
    if not fhir.exportable(version):
        raise Http404("Only an agreed plan can be sent to other NHS systems")
    services.plan_record_view(version=version, acting_user=request.user, page="support plan for other NHS systems")
    response = HttpResponse(fhir.bundle_json(fhir.plan_bundle(version)), content_type=fhir.CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=fhir.file_name(version))
    return response


# The PHB team's side: queue, decisions, ending, letters.


def _require_phb_team(user) -> None:
    if not is_phb_team(user):
        refuse_role()


@require_GET
def decision_queue(request):
    require_staff(request.user)
    _require_phb_team(request.user)
    listing = PlanQueueFilter(request.GET, user=request.user)
    page = page_of(listing.queue(), request.GET.get("page"), params=listing.kept())
    audit.record_list(request, "plans to decide", listing.in_words(), page)
    today = timezone.localdate()
    rows = [selectors.decision_queue_row(version, today=today) for version in page]
    for row in rows:
        row["can_assign"] = lifecycle.may(lifecycle.Action.ASSIGN, row["version"], request.user)
    context = {"rows": rows, "page": page, "listing": listing, "sorts": listing.sort_links(page.params)}
    return render(request, "careplans/queue.html", context)


@require_POST
def plan_assign(request, pk):
    require_staff(request.user)
    _require_phb_team(request.user)
    version = access.get_version_for_user(request.user, pk)
    try:
        approval.plan_assign(version=version, acting_user=request.user)
    except ServiceError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"You are deciding on {version.plan.person.full_name}'s plan.")
    return redirect("careplans:decide", pk=version.pk)


@require_http_methods(["GET", "POST"])
@once
def plan_decide(request, pk):
    require_staff(request.user)
    _require_phb_team(request.user)
    version, siblings = access.get_version_and_siblings(request.user, pk, also_detail=selectors.previous_agreed)
    options = lifecycle.decision_options(version, request.user, siblings=siblings)
    decisions = {action.value for action in options.allowed}
    # With nothing allowed (decided meanwhile, or the user's own plan) a post still reaches the
    # service, which says why: who decided, or that someone else must.
    form = DecisionForm(request.POST or None, decisions=decisions or None)
    if request.method == "POST" and form.is_valid():
        decision = form.cleaned_data["decision"]
        try:
            if decision == "approve":
                approval.plan_approve(
                    version=version,
                    financially_appropriate=form.cleaned_data["financially_appropriate"],
                    clinically_appropriate=form.cleaned_data["clinically_appropriate"],
                    conditions=form.cleaned_data["conditions"],
                    acting_user=request.user,
                )
            elif decision == "return":
                approval.plan_return(version=version, reason=form.reason, acting_user=request.user)
            else:
                approval.plan_decline(version=version, reason=form.reason, acting_user=request.user)
        except SERVICE_ERRORS as error:
            add_service_error(form, error)
            if not decisions and isinstance(error, ServiceError):
                messages.error(request, str(error))
            version, siblings = access.get_version_and_siblings(request.user, pk, also_detail=selectors.previous_agreed)
        else:
            return redirect("careplans:confirmation", pk=version.pk)
    elif request.method == "GET" and not lifecycle.awaits_decision(version):
        # Decided, replaced or still a draft: every decision would be refused, so the page does not open.
        messages.info(request, options.why_not)
        return redirect("careplans:version", pk=version.pk)
    elif request.method == "GET":
        services.plan_record_view(version=version, acting_user=request.user, page="support plan to decide on it")
    snap = selectors.snapshot(version)
    previous = selectors.previous_agreed(version, siblings)
    return render(
        request,
        "careplans/decide.html",
        {
            "version": version,
            "person": version.plan.person,
            "form": form,
            "totals": rules.totals(snap),
            "missing": rules.missing(snap),
            "budget": version.budget_version,
            "previous": previous,
            "comparison": rules.compare(selectors.snapshot(previous), snap) if previous else None,
            "items": [(i, rules.item_annual_cost(i.unit_cost, i.quantity, i.frequency)) for i in version.items.all()],
            "can_decide": bool(decisions),
            "approve_refused": options.approve_refused,
            "cannot_decide": options.why_not,
        },
    )


@require_http_methods(["GET", "POST"])
@once
def plan_end(request, pk):
    """Ends the budget, or, for a reason that needs a second person, asks a PHB team member to confirm it."""
    require_staff(request.user)
    version, siblings = access.get_version_and_siblings(request.user, pk)
    form = EndPlanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        asking = lifecycle.needs_second_person(form.cleaned_data["reason"])
        try:
            service = approval.ending_ask if asking else approval.plan_end
            service(version=version, acting_user=request.user, **form.cleaned_data)
        except SERVICE_ERRORS as error:
            add_service_error(form, error)
        else:
            name = version.plan.person.full_name
            if asking:
                messages.success(
                    request,
                    f"Ending asked for. A PHB team member must confirm it. Nothing changes for {name} until then.",
                )
            else:
                messages.success(request, f"{name}'s personal health budget has been ended.")
            return redirect("careplans:version", pk=version.pk)
    elif request.method == "GET":
        known = lifecycle.facts(version, request.user, actions={lifecycle.Action.END}, siblings=siblings)
        problem = lifecycle.refusal(lifecycle.Action.END, known)
        if problem:
            messages.error(request, problem)
            return redirect("careplans:version", pk=version.pk)
        services.plan_record_view(version=version, acting_user=request.user, page="support plan to end it")
    context = {
        "form": form,
        "version": version,
        "effects": selectors.ending_effects(version, siblings),
        "ending": selectors.waiting_ending_of(version),
    }
    return render(request, "careplans/end.html", context)


@require_GET
def endings_to_confirm(request):
    """The PHB team's list of endings waiting for a second person, oldest first."""
    require_staff(request.user)
    _require_phb_team(request.user)
    listing = EndingFilter(request.GET, queryset=selectors.endings_to_confirm())
    page = page_of(listing.qs, request.GET.get("page"), params=listing.kept())
    audit.record_list(request, "endings to confirm", listing.in_words(), page)
    today = timezone.localdate()
    rows = [
        {"ending": ending, "days": (today - timezone.localtime(ending.requested_at).date()).days} for ending in page
    ]
    reasons = [label for value, label in EndReason.choices if lifecycle.needs_second_person(value)]
    context = {
        "rows": rows,
        "page": page,
        "reasons": reasons,
        "listing": listing,
        "sorts": listing.sort_links(page.params),
    }
    return render(request, "careplans/endings_to_confirm.html", context)


@require_http_methods(["GET", "POST"])
@once
def ending_decide(request, pk):
    """A PHB team member who did not ask confirms an ending (the budget ends as asked) or refuses it."""
    require_staff(request.user)
    _require_phb_team(request.user)
    ending = access.get_ending_for_user(request.user, pk)
    decision = request.POST.get("decision", "")
    form = EndingRefuseForm(request.POST if decision == "refuse" else None)
    if request.method == "POST":
        name = ending.plan.person.full_name
        try:
            if decision == "confirm":
                approval.ending_confirm(ending=ending, acting_user=request.user)
                messages.success(request, f"Ending confirmed. {name}'s personal health budget has been ended.")
                return redirect("careplans:endings")
            if decision == "refuse" and form.is_valid():
                approval.ending_refuse(ending=ending, reason=form.cleaned_data["reason"], acting_user=request.user)
                messages.success(
                    request,
                    f"Ending refused. {name}'s plan goes on unchanged. "
                    f"We have told {ending.requested_by.display_name} why.",
                )
                return redirect("careplans:endings")
            if decision not in ("confirm", "refuse"):
                messages.error(request, "Choose to confirm or to refuse the ending.")
        except ServiceError as error:
            messages.error(request, str(error))
        except ValidationError as error:
            add_service_error(form, error)
    siblings = list(selectors.version_with_people().filter(plan_id=ending.plan_id).order_by("-number"))
    version = selectors.version_to_end(siblings) or next(v for v in siblings if v.pk == ending.plan_version_id)
    if request.method == "GET":
        services.plan_record_view(version=version, acting_user=request.user, page="ending asked for, to decide on it")
    known = lifecycle.facts(
        version, request.user, actions={lifecycle.Action.DECIDE_END}, siblings=siblings, ending=ending
    )
    return render(
        request,
        "careplans/ending_decide.html",
        {
            "ending": ending,
            "version": version,
            "form": form,
            "effects": selectors.ending_effects(version, siblings),
            "why_not": ending.is_waiting and lifecycle.refusal(lifecycle.Action.DECIDE_END, known),
        },
    )


@require_GET
def letter_download(request, pk):
    require_staff(request.user)
    letter = access.get_letter_for_user(request.user, pk)
    services.plan_record_view(
        version=letter.plan_version, acting_user=request.user, page=lower_first(letter.get_kind_display())
    )
    return pdf_attachment(bytes(letter.pdf), letter.kind, letter.person.family_name, f"{letter.created_at:%Y-%m-%d}")


# Reviews.


@require_GET
def reviews_due(request):
    """Overdue and due in the next 4 weeks by default (what needs doing); ?when=all for every review waiting."""
    require_staff(request.user)
    today = timezone.localdate()
    listing = ReviewsDueFilter(
        request.GET, queryset=reviews.reviews_due_for(user=request.user), user=request.user, today=today
    )
    page = page_of(listing.qs, request.GET.get("page"), params=listing.kept())
    audit.record_list(request, "reviews due", listing.in_words(), page)
    rows = [{"review": review, "days": (review.due_on - today).days} for review in page]
    context = {
        "rows": rows,
        "page": page,
        "today": today,
        "when": listing.valid("when"),
        "soon_days": reviews.DUE_SOON_DAYS,
        "listing": listing,
        "sorts": listing.sort_links(page.params),
        "show_all": listing.query_showing("all"),
    }
    return render(request, "careplans/reviews_due.html", context)


@require_http_methods(["GET", "POST"])
@once
def review_record(request, pk):
    require_staff(request.user)
    review = access.get_review_for_user(request.user, pk, write=True)
    version, refusal = reviews.version_to_record(review, request.user)  # the service's own rule
    if refusal:
        messages.error(request, refusal)
        return redirect("careplans:reviews_due")
    version = selectors.version_with_details().get(pk=version.pk)
    form = ReviewForm(request.POST or None, version=version)
    if request.method == "POST" and form.is_valid():
        try:
            _, next_review, draft = reviews.review_complete(
                review=review, acting_user=request.user, **form.service_values()
            )
        except SERVICE_ERRORS as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"Review recorded. The next review is due by {long_date(next_review.due_on)}.")
            if draft is not None:
                return redirect("careplans:version", pk=draft.pk)
            if form.cleaned_data["decision"] == "end":
                return redirect("careplans:end", pk=version.pk)
            return redirect("careplans:version", pk=version.pk)
    elif request.method == "GET":
        services.plan_record_view(version=version, acting_user=request.user, page="support plan to review it")
    return render(request, "careplans/review_form.html", {"form": form, "review": review, "version": version})


@require_http_methods(["GET", "POST"])
@once
def review_request(request, pk):
    require_staff(request.user)
    plan = access.get_plan_for_user(request.user, pk)
    form = ReviewRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            review = reviews.review_request(
                plan=plan,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
                due_on=form.cleaned_data["due_on"],
                acting_user=request.user,
            )
        except SERVICE_ERRORS as error:
            add_service_error(form, error)
        else:
            if getattr(review, "asked_before", False):
                messages.info(request, f"A review was already asked for. It is due by {long_date(review.due_on)}.")
            else:
                messages.success(request, f"Review asked for, due by {long_date(review.due_on)}.")
            return redirect("careplans:reviews_due")
    return render(request, "careplans/review_request.html", {"form": form, "plan": plan})
