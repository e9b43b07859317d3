import pytest

from phb.roles import Role
from twofactor import rules


@pytest.mark.parametrize(
    ("role", "is_staff", "asked"),
    [
        (Role.COORDINATOR, False, True),
        (Role.APPROVER, False, True),
        (Role.LEAD, False, True),
        (Role.ADMIN, True, True),
        (Role.PATIENT, False, False),
        # Anyone Django lets into its admin site, whatever the role says.
        (Role.PATIENT, True, True),
    ],
)
def test_it_asks_staff_and_administrators_for_a_second_factor_and_not_people(db, role, is_staff, asked):
    from people.tests.factories import UserFactory

    assert rules.needs_second_factor(UserFactory(role=role, is_staff=is_staff)) is asked


def test_it_never_asks_someone_not_signed_in():
    from django.contrib.auth.models import AnonymousUser

    assert rules.needs_second_factor(AnonymousUser()) is False
    assert rules.needs_second_factor(None) is False


def test_it_writes_the_key_in_base32_groups_of_four():
    # 20 bytes of zero are 32 base32 letters "A".
    assert rules.secret_in_groups("00" * 20) == " ".join(["AAAA"] * 8)
    assert rules.secret_in_groups("48656c6c6f21deadbeef") == "JBSW Y3DP EHPK 3PXP"


@pytest.mark.parametrize(
    ("typed", "totp"),
    [
        ("123456", True),
        ("123 456", True),
        (" 123-456 ", True),
        ("12345", False),
        ("1234567", False),
        ("12345a", False),
        ("١٢٣٤٥٦", False),
        ("", False),
    ],
)
def test_it_tells_an_authenticator_code_from_anything_else(typed, totp):
    assert rules.looks_like_totp(typed) is totp


def test_it_shows_a_recovery_code_in_two_groups_and_reads_it_back_however_typed():
    assert rules.recovery_code_for_display("abcde23456") == "abcde-23456"
    assert rules.normalise_code(" ABCDE-23456 ") == "abcde23456"


def test_the_next_code_is_the_current_one_then_the_next_step_then_none_until_time_moves_on():
    from django_otp.oath import TOTP

    key, now = "3132333435363738393031323334353637383930", 1_800_000_015.0
    current = int(now // 30)

    def code_at(step):
        generator = TOTP(bytes.fromhex(key), step=30, digits=6)
        generator.time = step * 30
        return f"{generator.token():06d}"

    assert rules.next_code(key, now=now, last_t=-1) == code_at(current)
    assert rules.next_code(key, now=now, last_t=current) == code_at(current + 1)
    assert rules.next_code(key, now=now, last_t=current + 1) is None
    assert rules.next_code(key, now=now + 30, last_t=current + 1) == code_at(current + 2)
    # A device that learnt the app runs a step fast accepts one step further on.
    assert rules.next_code(key, now=now, last_t=current + 1, drift=1) == code_at(current + 2)


@pytest.mark.django_db
@pytest.mark.parametrize("drift", [-3, -2, -1, 0, 1, 2, 3])
def test_the_next_code_is_one_the_device_accepts_whatever_drift_quick_sign_ins_left_it(alice, drift):
    """Signing in again and again within a step pushes a device's drift on a step each time (django-otp keeps the
    step it matched); the code is always one the device accepts, and the drift comes back towards nought."""
    import time

    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=alice, name="Phone", drift=drift, last_t=-1)
    for _ in range(4):
        device.refresh_from_db()
        code = rules.next_code(device.key, now=time.time(), last_t=device.last_t, drift=device.drift)
        assert code is not None and device.verify_token(code), device.drift
        device.last_t = -1  # as if a step had passed before the next sign-in
        device.save()
    device.refresh_from_db()
    assert device.drift == 0
