"""The patient portal (/my/), and the staff side of it (invitations, access, replies).

Every portal view starts with `_person_for(request, pk)`: the signed-in patient or representative
must have active access to that person, or it is a 404. A patient whose access has all been
revoked is signed out on their next request.
"""

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from budgets import letters as budget_letters
from budgets.selectors import budget_person_may_see
from careplans import letters as plan_letters
from careplans import rules
from careplans.models import Letter, LetterKind, PlanVersion, Review, ReviewStatus, Status
from careplans.selectors import snapshot, version_with_details
from eligibility import letters as eligibility_letters
from people.access import get_person_for_user, persons_writable_by, require_staff
from people.models import PortalAccess
from people.portal import persons_for_patient
from phb.errors import ServiceError
from phb.forms import add_service_error
from phb.pdf import render_pdf
from phb.roles import Role, has_role
from portal import selectors, services
from portal.forms import AcceptInvitationForm, InvitationForm, MessageForm
from portal.models import Message

AGREED = [Status.APPROVED, Status.ACTIVE, Status.SUPERSEDED, Status.ENDED]
NOT_FOR_THE_PERSON = {LetterKind.RETURN}  # the return notice is to the coordinator


def _people(request):
    if not has_role(request.user, Role.PATIENT):
        raise Http404("Page not found")
    return persons_for_patient(request.user).select_related("lead_coordinator").order_by("given_name")


def _signed_out_if_no_access(request, people):
    if people:
        return None
    logout(request)
    messages.info(request, "You can no longer see records online. Contact your care coordinator if this is wrong.")
    return redirect("login")


def _person_for(request, pk):
    person = _people(request).filter(pk=pk).first()
    if person is None:
        if not _people(request).exists():
            logout(request)
        raise Http404("Page not found")
    return person


@require_GET
def portal_home(request):
    people = list(_people(request))
    signed_out = _signed_out_if_no_access(request, people)
    if signed_out:
        return signed_out
    if len(people) == 1:
        return redirect("portal:person", pk=people[0].pk)
    return render(request, "portal/choose.html", {"people": people})


@require_GET
def person_home(request, pk):
    person = _person_for(request, pk)
    services.portal_view(person=person, acting_user=request.user, page="home")
    return render(
        request,
        "portal/home.html",
        {
            "person": person,
            "summary": selectors.home_summary(person),
            "several": _people(request).count() > 1,
            "unread": Message.objects.filter(person=person, from_patient=False, read_at__isnull=True).count(),
        },
    )


@require_GET
def plan_view(request, pk, version_pk=None):
    person = _person_for(request, pk)
    versions = list(PlanVersion.objects.filter(plan__person=person, status__in=AGREED).order_by("-number"))
    if version_pk:
        version = version_with_details().filter(pk=version_pk, plan__person=person, status__in=AGREED).first()
        if version is None:
            raise Http404("Page not found")
    else:
        version = selectors.current_plan(person)
    services.portal_view(
        person=person, acting_user=request.user, page=f"plan version {version.number}" if version else "plan"
    )
    items = []
    totals = None
    if version:
        items = [(i, rules.item_annual_cost(i.unit_cost, i.quantity, i.frequency)) for i in version.items.all()]
        totals = rules.totals(snapshot(version))
    return render(
        request,
        "portal/plan.html",
        {"person": person, "version": version, "items": items, "totals": totals, "versions": versions},
    )


@require_GET
def plan_pdf(request, pk, version_pk):
    person = _person_for(request, pk)
    version = version_with_details().filter(pk=version_pk, plan__person=person, status__in=AGREED).first()
    if version is None:
        raise Http404("Page not found")
    services.portal_view(person=person, acting_user=request.user, page=f"plan version {version.number} PDF")
    pdf = render_pdf("careplans/plan_pdf.html", plan_letters.plan_document_context(version, today=timezone.localdate()))
    return _pdf(pdf, f"my-plan-version-{version.number}.pdf")


def _pdf(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
def reviews_view(request, pk):
    person = _person_for(request, pk)
    services.portal_view(person=person, acting_user=request.user, page="reviews")
    reviews = (
        Review.objects.filter(plan__person=person)
        .exclude(status=ReviewStatus.CANCELLED)
        .prefetch_related("outcome_progress__outcome", "domain_ratings")
        .order_by("-due_on")
    )
    return render(request, "portal/reviews.html", {"person": person, "reviews": reviews})


@require_GET
def documents(request, pk):
    person = _person_for(request, pk)
    services.portal_view(person=person, acting_user=request.user, page="documents")
    return render(
        request,
        "portal/documents.html",
        {
            "person": person,
            "plans": PlanVersion.objects.filter(plan__person=person, status__in=AGREED).order_by("-number"),
            "letters": Letter.objects.filter(person=person)
            .exclude(kind__in=NOT_FOR_THE_PERSON)
            .only("id", "kind", "created_at"),
            "screenings": person.screenings.order_by("-screened_on"),
            "budgets": [b for b in [budget_person_may_see(person=person)] if b],
        },
    )


@require_GET
def letter(request, pk, letter_pk):
    person = _person_for(request, pk)
    kept = Letter.objects.filter(pk=letter_pk, person=person).exclude(kind__in=NOT_FOR_THE_PERSON).first()
    if kept is None:
        raise Http404("Page not found")
    services.portal_view(person=person, acting_user=request.user, page=kept.get_kind_display().lower())
    return _pdf(bytes(kept.pdf), f"{kept.kind}-{kept.created_at:%Y-%m-%d}.pdf")


@require_GET
def screening_letter(request, pk, screening_pk):
    person = _person_for(request, pk)
    screening = person.screenings.filter(pk=screening_pk).first()
    if screening is None:
        raise Http404("Page not found")
    services.portal_view(person=person, acting_user=request.user, page="screening outcome letter")
    context = eligibility_letters.letter_context(screening, today=timezone.localdate())
    return _pdf(render_pdf("eligibility/letter.html", context), f"screening-{screening.screened_on}.pdf")


@require_GET
def budget_letter(request, pk, budget_pk):
    person = _person_for(request, pk)
    latest = budget_person_may_see(person=person)
    if latest is None or str(latest.pk) != str(budget_pk):
        raise Http404("Page not found")
    services.portal_view(person=person, acting_user=request.user, page="indicative budget letter")
    context = budget_letters.letter_context(latest, today=timezone.localdate())
    return _pdf(render_pdf("budgets/letter.html", context), f"indicative-budget-{latest.number}.pdf")


@require_http_methods(["GET", "POST"])
def messages_view(request, pk):
    person = _person_for(request, pk)
    form = MessageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.message_send(person=person, body=form.cleaned_data["body"], acting_user=request.user)
        except (ValidationError, ServiceError) as error:
            add_service_error(form, error)
        else:
            messages.success(request, "Your message has been sent to your care team.")
            return redirect("portal:messages", pk=person.pk)
    services.portal_view(person=person, acting_user=request.user, page="messages")
    thread = list(Message.objects.filter(person=person).select_related("sender"))
    Message.objects.filter(person=person, from_patient=False, read_at__isnull=True).update(read_at=timezone.now())
    return render(request, "portal/messages.html", {"person": person, "form": form, "thread": thread})


# Accepting an invitation: the only portal page reached without signing in.


@login_not_required
@require_http_methods(["GET", "POST"])
def accept_invitation(request, token):
    from portal.models import Invitation

    invitation = Invitation.objects.filter(token_hash=services._hash(token)).select_related("person").first()
    if invitation is None or invitation.used_at or invitation.expires_at <= timezone.now():
        return render(request, "portal/invitation_invalid.html", status=410)
    form = AcceptInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(token=token, password=form.cleaned_data["password1"])
        except services.InvitationInvalid:
            return render(request, "portal/invitation_invalid.html", status=410)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Your password is set. You are signed in.")
            return redirect("portal:home")
    return render(request, "portal/accept.html", {"form": form, "email": invitation.email})


# The staff side.


@require_http_methods(["GET", "POST"])
def invite(request, person_pk):
    require_staff(request.user)
    person = get_person_for_user(request.user, person_pk, write=True)
    form = InvitationForm(request.POST or None, initial={"email": person.email})
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invitation_create(
                person=person,
                email=form.cleaned_data["email"],
                relationship=form.cleaned_data["relationship"],
                link_base=request.build_absolute_uri("/"),
                acting_user=request.user,
            )
        except (ValidationError, ServiceError) as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}. The link works for 72 hours.")
            return redirect(reverse("people:detail", kwargs={"pk": person.pk}) + "#online")
    return render(request, "portal/invite.html", {"form": form, "person": person})


@require_POST
def revoke(request, access_pk):
    require_staff(request.user)
    access = (
        PortalAccess.objects.select_related("user", "person")
        .filter(pk=access_pk, person__in=persons_writable_by(request.user))
        .first()
    )
    if access is None:
        raise Http404("Page not found")
    services.access_revoke(access=access, acting_user=request.user)
    messages.success(request, f"{access.user.get_username()} can no longer see {access.person.full_name}'s records.")
    return redirect(reverse("people:detail", kwargs={"pk": access.person_id}) + "#online")


@require_POST
def reply(request, person_pk):
    require_staff(request.user)
    person = get_person_for_user(request.user, person_pk, write=True)
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            services.message_send(person=person, body=form.cleaned_data["body"], acting_user=request.user)
        except (ValidationError, ServiceError) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        else:
            Message.objects.filter(person=person, from_patient=True, read_at__isnull=True).update(
                read_at=timezone.now()
            )
            messages.success(request, "Your reply has been sent.")
    else:
        messages.error(request, " ".join(form.errors.get("body", ["Enter your reply"])))
    return redirect(reverse("people:detail", kwargs={"pk": person.pk}) + "#online")
