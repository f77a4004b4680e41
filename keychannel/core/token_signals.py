"""API tokens end with the credentials they were issued under: a password change or a deactivation revokes
every token of the user."""

from django.db.models.signals import post_init, post_save


def _remember_active(sender, instance, **kwargs):
    # Read only a loaded value: touching a deferred field (``.only(...)``) would cost a query per user.
    instance._kc_was_active = instance.__dict__.get("is_active", False)


def _revoke_on_credentials_change(sender, instance, created=False, **kwargs):
    if created:
        return
    from .services import api_tokens_revoke_all

    # ``set_password`` keeps the raw value in ``_password`` until the save that stores it (AbstractBaseUser.save
    # clears it after this signal), so every path that changes a password is seen here: the change and reset
    # pages, the Django admin, ``changepassword``.
    if getattr(instance, "_password", None) is not None:
        api_tokens_revoke_all(user=instance, reason="password changed")
    elif getattr(instance, "_kc_was_active", False) and not instance.is_active:
        api_tokens_revoke_all(user=instance, reason="user deactivated")
    instance._kc_was_active = instance.__dict__.get("is_active", False)


def connect(app_config):
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    post_init.connect(_remember_active, sender=user_model, dispatch_uid="kc-token-user-active")
    post_save.connect(_revoke_on_credentials_change, sender=user_model, dispatch_uid="kc-token-revoke")
