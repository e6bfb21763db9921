from django.urls import reverse

from facturier.accounts.models import LoginAttempt, User
from facturier.conftest import logged_in_with_second_factor


def staff_client():
    return logged_in_with_second_factor(
        User.objects.create_superuser("root@facturier.test", "not-used-here-123")
    )


def test_staff_find_users_by_email(owner, db):
    response = staff_client().get(reverse("admin:accounts_user_changelist"), {"q": "olivia@"})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [owner]


def test_staff_create_a_user_by_email(db):
    client = staff_client()

    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "New@Example.test",
            "usable_password": "true",
            "password1": "une-phrase-de-passe-longue",
            "password2": "une-phrase-de-passe-longue",
        },
    )

    assert response.status_code == 302
    user = User.objects.get(email="new@example.test")
    assert user.check_password("une-phrase-de-passe-longue")


def test_login_attempts_are_read_only_in_the_admin(db):
    attempt = LoginAttempt.objects.create(email="x@example.test", ip="192.0.2.1")
    client = staff_client()

    assert client.get(reverse("admin:accounts_loginattempt_changelist")).status_code == 200
    assert client.get(reverse("admin:accounts_loginattempt_add")).status_code == 403
    assert client.post(reverse("admin:accounts_loginattempt_delete", args=[attempt.pk])).status_code == 403
    assert LoginAttempt.objects.count() == 1
