from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from keychannel.clients.models import CorporateClient
from keychannel.core.assignment import offer_assignable
from keychannel.core.choosers import ChooserField
from keychannel.core.forms import StyledFormMixin
from keychannel.core.scoping import in_lookup
from keychannel.network.models import ProductLine

from .choices import CaseStatus, CaseType, MessageKind, ServicePriority

CASE_DETAIL_FIELDS = ["title", "description", "case_type", "priority", "product_line", "site", "contact_name",
                      "contact_email"]


class _CaseFields(StyledFormMixin, forms.Form):
    title = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), max_length=10000)
    case_type = forms.ChoiceField(label=_("Type"), choices=CaseType.choices)
    priority = forms.ChoiceField(label=_("Priority"), choices=ServicePriority.choices, initial=ServicePriority.NORMAL)
    product_line = forms.ModelChoiceField(label=_("Product line"), queryset=ProductLine.objects.all(), required=False)
    site = forms.CharField(label=_("Affected site"), max_length=200, required=False)
    contact_name = forms.CharField(label=_("Client contact"), max_length=120)
    contact_email = forms.EmailField(label=_("Contact e-mail"))


class CaseCreateForm(_CaseFields):
    client = ChooserField(kind="clients", label=_("Client"), queryset=CorporateClient.objects.none())
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=get_user_model().objects.none(), required=False)
    field_order = ["client", *CASE_DETAIL_FIELDS, "assignee"]

    def __init__(self, *args, principal, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = CorporateClient.objects.visible_to(principal).filter(archived_at__isnull=True)
        self.fields["assignee"].queryset = assignable_people(principal)
        offer_assignable(self.fields["assignee"], principal)


def assignable_people(principal):
    """Distributor people the principal reaches (the service forbids anybody else; a forged choice is refused)."""
    users = get_user_model().objects.filter(is_active=True, membership__isnull=False).order_by("last_name", "username")
    if principal.is_distributor_user:
        return users  # offer_assignable shows only its own people; a forged pick reaches the rule and is recorded
    people = users.filter(membership__organization__kind="distributor")
    if principal.distributor_ids is not None:
        people = people.filter(membership__organization__distributor__in=in_lookup(principal.distributor_ids))
    return people


class PublicCaseForm(_CaseFields):
    """The client's contact: no assignee, no client (the link says which)."""

    attachment = forms.FileField(label=_("Attachment (PDF, PNG, JPEG or text)"), required=False)


class MessageForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=MessageKind.choices)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 3}), max_length=10000)
    attachment = forms.FileField(label=_("Attachment"), required=False)

    def __init__(self, *args, manufacturer: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not manufacturer:
            self.fields["kind"].choices = [c for c in MessageKind.choices if c[0] != MessageKind.MANUFACTURER]


class StatusForm(StyledFormMixin, forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=[c for c in CaseStatus.choices if c[0] != CaseStatus.NEW])
    note = forms.CharField(label=_("Note (sent to the client when resolving)"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class AssignForm(StyledFormMixin, forms.Form):
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=get_user_model().objects.none(), required=False)

    def __init__(self, *args, principal, current_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignable_people(principal)
        offer_assignable(self.fields["assignee"], principal, current_id)


class TakeoverForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label=_("Why the manufacturer takes the case over"), max_length=300, required=False)


class PublicReplyForm(StyledFormMixin, forms.Form):
    body = forms.CharField(label=_("Your reply"), widget=forms.Textarea(attrs={"rows": 3}), max_length=10000)
    attachment = forms.FileField(label=_("Attachment (PDF, PNG, JPEG or text)"), required=False)


class RatingForm(StyledFormMixin, forms.Form):
    rating = forms.TypedChoiceField(label=_("How satisfied are you with how we handled this case?"), coerce=int,
                                    choices=[(i, str(i)) for i in range(1, 6)], widget=forms.RadioSelect)
    comment = forms.CharField(label=_("Comment (optional)"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}))
