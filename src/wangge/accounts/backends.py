from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class PhoneOrUsernameBackend(ModelBackend):
    """Residents log in with their phone number, staff with a username or phone."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        User = get_user_model()
        user = (
            User.objects.filter(username=username).first()
            or User.objects.filter(phone=username).first()
        )
        if user is None:
            User().set_password(
                password
            )  # same cost as a real check: no user enumeration by timing
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
