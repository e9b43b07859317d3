"""The patient portal (/my/), and the staff side of it (invitations, access, replies).

Every view starts with portal.access: a person's page needs `get_person_for_patient` (a patient or
representative with active access to that person, or a 404); the staff side needs the person's care
team. A patient whose access has all been stopped is signed out on their next request.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import signin
from budgets import letters as budget_letters
from careplans import letters as plan_letters
from eligibility import letters as eligibility_letters
from people.access import get_person_for_user, require_staff
from people.services import person_record_view
from phb.errors import ServiceError
from phb.forms import add_service_error
from phb.once import once
from phb.pagination import page_of
from phb.pdf import pdf_attachment, render_pdf
from phb.roles import Role
from phb.words import lower_first
from portal import access, selectors, services
from portal.forms import AcceptInvitationForm, InvitationForm, MessageForm


def _sign_out(request):
    logout(request)
    messages.info(request, "You can no longer see records online. Contact your care coordinator if this is wrong.")
    return redirect("login")


def _signs_out_without_access(view):
    """A patient with no access left to anyone is signed out, rather than shown a 404."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except access.NoAccessLeft:
            return _sign_out(request)

    return wrapped


def _pdf(content: bytes, name: str) -> HttpResponse:
    return pdf_attachment(content, name.removesuffix(".pdf"))


@require_GET
def portal_home(request):
    access.require_patient(request.user)
    people = list(access.persons_for(request.user))
    if not people:
        return _sign_out(request)
    if len(people) == 1:
        return redirect("portal:person", pk=people[0].pk)
    return render(request, "portal/choose.html", {"people": people})


@require_GET
@_signs_out_without_access
def person_home(request, pk):
    person = access.get_person_for_patient(request.user, pk, with_stage=True)
    services.portal_view(person=person, acting_user=request.user, page="home")
    return render(
        request,
        "portal/home.html",
        {
            "person": person,
            "summary": selectors.home_summary(person, today=timezone.localdate()),
            "several": access.sees_several(request.user),
        },
    )


@require_GET
@_signs_out_without_access
def plan_view(request, pk, version_pk=None):
    person = access.get_person_for_patient(request.user, pk)
    version = access.get_version_for_person(person, version_pk) if version_pk else None
    page = selectors.plan_page(person, version=version, today=timezone.localdate())
    shown = f"plan version {page.version.number}" if page.version else "plan"
    services.portal_view(person=person, acting_user=request.user, page=shown)
    return render(request, "portal/plan.html", {"person": person, "page": page})


@require_GET
@_signs_out_without_access
def plan_pdf(request, pk, version_pk):
    person = access.get_person_for_patient(request.user, pk)
    version = access.get_version_for_person(person, version_pk)
    services.portal_view(person=person, acting_user=request.user, page=f"plan version {version.number} PDF")
    pdf = render_pdf("careplans/plan_pdf.html", plan_letters.plan_document_context(version, today=timezone.localdate()))
    return _pdf(pdf, f"my-plan-version-{version.number}.pdf")


@require_GET
@_signs_out_without_access
def reviews_view(request, pk):
    person = access.get_person_for_patient(request.user, pk)
    services.portal_view(person=person, acting_user=request.user, page="reviews")
    page = page_of(selectors.reviews_for(person), request.GET.get("page"), size=10)
    return render(request, "portal/reviews.html", {"person": person, "reviews": page, "page": page})


@require_GET
@_signs_out_without_access
def documents(request, pk):
    person = access.get_person_for_patient(request.user, pk)
    services.portal_view(person=person, acting_user=request.user, page="documents")
    return render(request, "portal/documents.html", {"person": person, "documents": selectors.documents_for(person)})


@require_GET
@_signs_out_without_access
def letter(request, pk, letter_pk):
    person = access.get_person_for_patient(request.user, pk)
    kept = access.get_letter_for_person(person, letter_pk)
    services.portal_view(person=person, acting_user=request.user, page=lower_first(kept.get_kind_display()))
    return _pdf(bytes(kept.pdf), f"{kept.kind}-{kept.created_at:%Y-%m-%d}.pdf")


@require_GET
@_signs_out_without_access
def screening_letter(request, pk, screening_pk):
    person = access.get_person_for_patient(request.user, pk)
    screening = access.get_screening_for_person(person, screening_pk)
    services.portal_view(person=person, acting_user=request.user, page="screening outcome letter")
    context = eligibility_letters.letter_context(screening, today=timezone.localdate())
    return _pdf(render_pdf("eligibility/letter.html", context), f"screening-{screening.screened_on}.pdf")


@require_GET
@_signs_out_without_access
def budget_letter(request, pk, budget_pk):
    person = access.get_person_for_patient(request.user, pk)
    budget = access.get_budget_for_person(person, budget_pk)
    services.portal_view(person=person, acting_user=request.user, page="indicative budget letter")
    context = budget_letters.letter_context(budget, today=timezone.localdate())
    return _pdf(render_pdf("budgets/letter.html", context), f"indicative-budget-{budget.number}.pdf")


@require_http_methods(["GET", "POST"])
@_signs_out_without_access
@once
def messages_view(request, pk):
    person = access.get_person_for_patient(request.user, pk)
    form = MessageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.message_send(
                person=person,
                body=form.cleaned_data["body"],
                acting_user=request.user,
                link_base=request.build_absolute_uri("/"),
            )
        except (ValidationError, ServiceError) as error:
            add_service_error(form, error)
        else:
            messages.success(request, "Your message has been sent to your care team.")
            return redirect("portal:messages", pk=person.pk)
    services.messages_open(person=person, acting_user=request.user)
    # The latest messages, oldest first on the page; "earlier messages" goes back a page at a time.
    page = page_of(selectors.thread_newest_first(person), request.GET.get("page"), counted=False)
    thread = list(reversed(page.object_list))
    return render(request, "portal/messages.html", {"person": person, "form": form, "thread": thread, "page": page})


# Accepting an invitation: the only portal page reached without signing in.


def invitation_invalid(request):
    lifetime = services.invitation_lifetime_in_words()
    return render(request, "portal/invitation_invalid.html", {"lifetime": lifetime}, status=410)


@login_not_required
@require_http_methods(["GET", "POST"])
@once
def accept_invitation(request, token):
    invitation = selectors.usable_invitation(token, now=timezone.now())
    if invitation is None:
        return invitation_invalid(request)
    holder = services.account_for_address(invitation.email)
    if signin.nhs_login_on():
        # Accepted through NHS login: no password is set or asked for here (portal.nhs_login).
        if holder is not None and holder.role != Role.PATIENT:
            return invitation_invalid(request)
        return render(request, "portal/accept_nhs_login.html", {"invitation": invitation, "token": token})
    if holder is not None:
        # Never a new password for an account that exists: its holder signs in and accepts from it.
        if holder.role != Role.PATIENT:
            return invitation_invalid(request)
        return _accept_signed_in(request, token, invitation, holder)
    offered = selectors.name_offered(invitation)
    form = AcceptInvitationForm(request.POST or None, initial=offered, name_required=not offered)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                token=token,
                password=form.cleaned_data["password1"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
            )
        except services.InvitationInvalid:
            return invitation_invalid(request)
        except services.AccountExists:
            return redirect("portal:accept", token=token)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            login(request, user, backend="people.backends.UserWithTeamsBackend")
            messages.success(request, "Your password is set. You are signed in.")
            return redirect("portal:home")
    return render(request, "portal/accept.html", {"form": form, "email": invitation.email})


def _accept_signed_in(request, token, invitation, holder):
    """The address already has an account: anyone else is asked to sign in to it; its holder, signed in,
    confirms, and the person is added to what the account sees."""
    if request.user.pk != holder.pk:
        context = {"email": invitation.email, "signed_in_as": request.user if request.user.is_authenticated else None}
        return render(request, "portal/accept_sign_in.html", context)
    if request.method == "POST":
        try:
            accepted = services.invitation_accept_signed_in(token=token, acting_user=request.user)
        except services.InvitationInvalid:
            return invitation_invalid(request)
        messages.success(request, f"You can now see {accepted.person.full_name}'s records.")
        return redirect("portal:person", pk=accepted.person_id)
    return render(request, "portal/accept_confirm.html", {"invitation": invitation})


# The staff side: the person's care team.


@require_GET
def staff_messages(request, person_pk):
    """The person's message thread for staff who can see them, newest first; their coordinators reply here."""
    require_staff(request.user)
    person = get_person_for_user(request.user, person_pk)
    person_record_view(person=person, acting_user=request.user, page="messages")
    page = page_of(selectors.thread_newest_first(person), request.GET.get("page"))
    return render(
        request,
        "portal/staff_messages.html",
        {
            "person": person,
            "page": page,
            "can_reply": access.may_manage_online_access(request.user, person),
            "message_limit": services.MESSAGE_LIMIT,
        },
    )


def _online_section(person_pk) -> str:
    return reverse("people:detail", kwargs={"pk": person_pk}) + "#online"


@require_http_methods(["GET", "POST"])
@once
def invite(request, person_pk):
    person = access.get_person_for_care_team(request.user, person_pk)
    form = InvitationForm(request.POST or None, initial={"email": person.email})
    lifetime = services.invitation_lifetime_in_words()
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
            messages.success(request, f"Invitation sent to {invitation.email}. The link works for {lifetime}.")
            return redirect(_online_section(person.pk))
    return render(request, "portal/invite.html", {"form": form, "person": person, "lifetime": lifetime})


@require_POST
def revoke(request, access_pk):
    online_access = access.get_access_for_care_team(request.user, access_pk)
    cancelled = services.access_revoke(access=online_access, acting_user=request.user)
    invitations = (
        f" {cancelled} invitation{'' if cancelled == 1 else 's'} waiting to be accepted "
        f"{'was' if cancelled == 1 else 'were'} cancelled. Send a new one if someone should still see them."
        if cancelled
        else ""
    )
    messages.success(
        request,
        f"{online_access.user.get_username()} can no longer see {online_access.person.full_name}'s records."
        + invitations,
    )
    return redirect(_online_section(online_access.person_id))


@require_POST
def cancel_invitation(request, invitation_pk):
    invitation = access.get_invitation_for_care_team(request.user, invitation_pk)
    if services.invitation_cancel(invitation=invitation, acting_user=request.user):
        messages.success(request, f"The invitation to {invitation.email} is cancelled. Its link no longer works.")
    else:
        messages.info(request, f"The invitation to {invitation.email} had already been accepted or cancelled.")
    return redirect(_online_section(invitation.person_id))


@require_POST
@once
def resend_invitation(request, invitation_pk):
    invitation = access.get_invitation_for_care_team(request.user, invitation_pk)
    try:
        fresh = services.invitation_send_again(
            invitation=invitation, link_base=request.build_absolute_uri("/"), acting_user=request.user
        )
    except (ValidationError, ServiceError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        lifetime = services.invitation_lifetime_in_words()
        messages.success(
            request, f"A new link was sent to {fresh.email}. It works for {lifetime}. The old link no longer works."
        )
    return redirect(_online_section(invitation.person_id))


@require_POST
@once
def reply(request, person_pk):
    person = access.get_person_for_care_team(request.user, person_pk)
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            services.message_send(
                person=person,
                body=form.cleaned_data["body"],
                acting_user=request.user,
                link_base=request.build_absolute_uri("/"),
            )
        except (ValidationError, ServiceError) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        else:
            messages.success(request, "Your reply has been sent.")
    else:
        messages.error(request, " ".join(form.errors.get("body", ["Enter your reply"])))
    return redirect("portal:staff_messages", person_pk=person.pk)
