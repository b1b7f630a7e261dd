from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError

from wangge.core.validators import normalize_phone


class PhoneOrUsernameBackend(ModelBackend):
    """Residents log in with their phone number, staff with a username or
    phone. Usernames and phones share one namespace (accounts.services keeps
    them apart), so at most one user matches."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        User = get_user_model()
        login = username.strip()
        user = User.objects.filter(username=login).first()
        if user is None:
            try:
                phone = normalize_phone(login)
            except ValidationError:
                phone = None
            if phone:
                user = User.objects.with_phone(phone).first()
        if user is None:
            # same cost as a real check: no user enumeration by timing
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
