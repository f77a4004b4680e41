"""Demo data of the core app: the manufacturer and one user per manufacturer role."""

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from .choices import OrganizationKind, Role
from .models import Membership, Organization

MANUFACTURER_NAME = "Carpatica Industrial Systems SA"

MANUFACTURER_USERS = [
    # username, role, first, last, title
    ("admin", Role.ADMIN, "Andrei", "Popescu", "System administrator"),
    ("program", Role.PROGRAM_MANAGER, "Ioana", "Marinescu", "Key-account program manager"),
    ("executive", Role.EXECUTIVE, "Mihai", "Constantinescu", "Chief executive"),
    ("channel", Role.CHANNEL_MANAGER, "Elena", "Dumitrescu", "Director for distributors (north and west)"),
    ("channel2", Role.CHANNEL_MANAGER, "Radu", "Stanciu", "Director for distributors (south and east)"),
    ("mentor", Role.MENTOR, "Cristina", "Georgescu", "Competence-centre expert"),
    ("kam", Role.EMBEDDED_KAM, "Vlad", "Ionescu", "Embedded key-account manager"),
]


def ensure_user(ctx, *, username, role, organization, first_name, last_name, title="", email=None):
    """Create or refresh one demo user; the password hash is computed once for all of them."""
    User = get_user_model()
    password_hash = ctx.data.get("password_hash")
    if password_hash is None:
        password_hash = ctx.data["password_hash"] = make_password(ctx.password)
    user, _ = User.objects.get_or_create(username=username)
    user.first_name, user.last_name = first_name, last_name
    user.email = email or f"{username}@demo.keychannel.invalid"
    user.password = password_hash
    user.is_staff = user.is_superuser = role == Role.ADMIN
    user.save()
    Membership.objects.update_or_create(user=user, defaults={"organization": organization, "role": role, "title": title})
    ctx.users[username] = user
    ctx.logins.append((username, str(Role(role).label), organization.name))
    return user


def seed(ctx):
    manufacturer, _ = Organization.objects.get_or_create(
        kind=OrganizationKind.MANUFACTURER, defaults={"name": MANUFACTURER_NAME}
    )
    ctx.data["manufacturer"] = manufacturer
    for username, role, first, last, title in MANUFACTURER_USERS:
        ensure_user(ctx, username=username, role=role, organization=manufacturer, first_name=first, last_name=last, title=title)


def seed_bell(ctx):
    """Every demo user's bell (run after every app's demo): the notices the apps' demos sent through their services
    (new and escalated service cases, assignments), plus those of records the demos wrote directly — sign-offs,
    mentorships, the disabled demo webhooks — written as the services write them, in each user's language. The
    older ones are read, the newest few unread. Safe to run twice."""
    import datetime

    from django.apps import apps
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from .models import Notification
    from .notifications import written_for

    notices = []  # (recipient, event type, title builder, body, url)
    Signoff = apps.get_model("program", "Signoff")
    for signoff in Signoff.objects.select_related("program__manager", "executive").order_by("pk"):
        program = signoff.program
        notices.append((signoff.executive, "program.changed",
                        lambda p=program: _("Sign-off requested: %(name)s") % {"name": p.name},
                        "", program.get_absolute_url()))
        if program.manager_id:
            notices.append((program.manager, "program.changed",
                            lambda s=signoff: _("%(who)s: %(decision)s on %(name)s") % {
                                "who": s.executive.get_full_name() or s.executive.get_username(),
                                "decision": s.get_decision_display(), "name": s.program.name},
                            signoff.comment, program.get_absolute_url()))
    Mentorship = apps.get_model("competence", "Mentorship")
    for mentorship in Mentorship.objects.select_related("mentor").order_by("pk")[:40]:
        notices.append((mentorship.mentor, "mentorship.started",
                        lambda m=mentorship: _("New mentorship: %(what)s") % {"what": str(m)}, "",
                        mentorship.get_absolute_url()))
    KamTask = apps.get_model("competence", "KamTask")
    for task in KamTask.objects.select_related("kam", "created_by").order_by("pk")[:60]:
        notices.append((task.kam, "kam_task.changed", lambda t=task: _("New task: %(title)s") % {"title": t.title},
                        "", task.get_absolute_url()))
    Subscription = apps.get_model("integrations", "WebhookSubscription")
    for sub in Subscription.objects.filter(is_active=False).select_related("owner").order_by("pk"):
        notices.append((sub.owner, "webhook.disabled", lambda s=sub: _("Webhook disabled: %(name)s") % {"name": s.name},
                        sub.disabled_reason, sub.get_absolute_url()))
    for recipient, event, title, body, url in notices:
        if recipient is None or Notification.objects.filter(recipient=recipient, event_type=event, url=url).exists():
            continue
        with written_for(recipient):
            Notification.objects.create(recipient=recipient, event_type=event, title=title()[:200], body=body,
                                        url=url[:300])
    # Spread them over the last days and read the older ones: each bell shows unread and read notices.
    now = timezone.now()
    for user in ctx.users.values():
        ids = list(Notification.objects.filter(recipient=user).order_by("-created_at", "-id").values_list("pk", flat=True))
        unread = min(3, max(1, len(ids) // 2))
        for position, pk in enumerate(ids):
            moment = now - datetime.timedelta(hours=5 * position)
            Notification.objects.filter(pk=pk).update(
                created_at=moment, read_at=None if position < unread else moment + datetime.timedelta(hours=1))
