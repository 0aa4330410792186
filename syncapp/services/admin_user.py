import secrets

from django.contrib.auth import get_user_model


def admin_user_ensure(*, username: str = "admin") -> str | None:
    """Create the first superuser with a generated password; return it, or None if one exists.

    The password is returned (and printed by the caller) exactly once and stored only hashed.
    """
    user_model = get_user_model()
    if user_model.objects.filter(is_superuser=True).exists():
        return None
    password = secrets.token_urlsafe(12)
    user_model.objects.create_superuser(username=username, email="", password=password)
    return password
