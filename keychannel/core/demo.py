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
