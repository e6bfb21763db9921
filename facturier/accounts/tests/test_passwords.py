from facturier import settings as project_settings
from facturier.accounts.models import User


def test_passwords_are_hashed_with_argon2_in_production(settings, db):
    # The test settings switch to MD5 for speed; put back what the project settings declare.
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS

    user = User.objects.create_user("argon@example.test", "une-phrase-de-passe-longue")

    assert user.password.startswith("argon2$")
    assert user.check_password("une-phrase-de-passe-longue")
