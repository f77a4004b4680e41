from django import forms
from django.utils.translation import gettext_lazy as _

from keychannel.core.choosers import ChooserField
from keychannel.core.forms import StyledFormMixin
from keychannel.core.scoping import in_lookup

from .choices import InFlightHandling, LeadSource, OutOfScopeReason, Resolution


class RegistrationForm(StyledFormMixin, forms.Form):
    distributor = ChooserField(kind="distributors", label=_("Register for distributor"), queryset=None)
    client = ChooserField(
        kind="clients", label=_("Existing client"), queryset=None, required=False,
        help_text=_("Pick one of your clients, or leave empty and describe a new one below."),
    )
    legal_name = forms.CharField(label=_("New client: legal name"), max_length=200, required=False)
    tax_id = forms.CharField(label=_("New client: tax id"), max_length=20, required=False)
    territory = forms.ModelChoiceField(label=_("New client: territory"), queryset=None, required=False)
    title = forms.CharField(label=_("Deal"), max_length=200, help_text=_("What the client would buy."))
    product_lines = forms.ModelMultipleChoiceField(
        label=_("Product lines"), queryset=None, widget=forms.CheckboxSelectMultiple
    )
    estimated_value = forms.DecimalField(label=_("Estimated value (RON)"), min_value=0, max_digits=16, decimal_places=2)
    expected_close_on = forms.DateField(label=_("Expected close"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    # "Register this deal" (the registration gate) names the existing deal, so the approval protects it.
    opportunity = forms.ModelChoiceField(queryset=None, required=False, widget=forms.HiddenInput())

    def __init__(self, *args, principal, **kwargs):
        super().__init__(*args, **kwargs)
        from keychannel.clients.models import CorporateClient
        from keychannel.deals.models import Opportunity
        from keychannel.network.models import Distributor, ProductLine, Territory

        self.fields["opportunity"].queryset = Opportunity.objects.visible_to(principal).filter(distributor__isnull=False)

        reach = principal.distributor_ids
        distributors = Distributor.objects.visible_to(principal).filter(active=True)
        if reach is not None:
            distributors = distributors.filter(pk__in=list(reach))
        self.fields["distributor"].queryset = distributors
        if principal.is_distributor_user:
            self.fields["distributor"].initial = principal.own_distributor_id
            self.fields["distributor"].widget = forms.HiddenInput()
        self.fields["client"].queryset = CorporateClient.objects.visible_to(principal).filter(
            out_of_scope=False, distributor__isnull=False
        ).select_related("distributor")
        self.fields["territory"].queryset = Territory.objects.visible_to(principal)
        self.fields["product_lines"].queryset = ProductLine.objects.visible_to(principal).filter(active=True)

    def clean(self):
        data = super().clean()
        if not data.get("client") and not (data.get("legal_name") or "").strip():
            self.add_error("legal_name", _("Pick an existing client or give the new client's legal name."))
        return data


class DecisionForm(StyledFormMixin, forms.Form):
    action = forms.ChoiceField(
        label=_("Decision"), choices=[("approve", _("Approve")), ("reject", _("Reject")), ("extend", _("Extend"))]
    )
    protected_until = forms.DateField(
        label=_("Protected until"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Approve: empty means the distributor's protection period (its program level's, else the standard one)."),
    )
    days = forms.IntegerField(label=_("Extend by (days)"), required=False, min_value=1, max_value=365)
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CommentForm(StyledFormMixin, forms.Form):
    body = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
    internal = forms.BooleanField(label=_("Internal (manufacturer only)"), required=False)

    def __init__(self, *args, principal, **kwargs):
        super().__init__(*args, **kwargs)
        if not principal.is_manufacturer:
            del self.fields["internal"]


class ResolveForm(StyledFormMixin, forms.Form):
    resolution = forms.ChoiceField(label=_("Resolution"), choices=Resolution.choices)
    note = forms.CharField(label=_("Decision and reasons"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    awarded_to = forms.TypedChoiceField(label=_("Award to"), required=False, coerce=int, empty_value=None)
    out_of_scope_reason = forms.ChoiceField(
        label=_("Out-of-scope reason"), required=False, choices=[("", "—"), *OutOfScopeReason.choices]
    )
    notice_days = forms.IntegerField(label=_("Notice period (days)"), required=False, min_value=0, max_value=365)
    in_flight = forms.ChoiceField(label=_("Deals in flight"), required=False, choices=[("", "—"), *InFlightHandling.choices])
    grace_days = forms.IntegerField(
        label=_("Grace period (days)"), required=False, min_value=0, max_value=365,
        help_text=_("Out of scope: how long the distributors keep their open deals on the client. Empty: the "
                    "channel policy's default."),
    )
    grace_until = forms.DateField(
        label=_("Grace period until"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Instead of the days: the last day of the grace period."),
    )
    compensation = forms.DecimalField(label=_("Compensation (RON)"), required=False, min_value=0, max_digits=16, decimal_places=2)
    hand_over = forms.TypedMultipleChoiceField(
        label=_("Deals to hand over now"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple,
        help_text=_("Out of scope: these open deals go to the manufacturer-led project at once; the others stay "
                    "with their distributor until the grace period ends."),
    )
    end_contract = forms.BooleanField(label=_("End the active contract today"), required=False)
    end_contract_reason = forms.CharField(
        label=_("Why the contract ends early"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Otherwise the contract runs to its end date."),
    )

    def __init__(self, *args, conflict, **kwargs):
        super().__init__(*args, **kwargs)
        parties = list(conflict.parties.all())
        self.parties = parties
        self.fields["awarded_to"].choices = [("", "—")] + [(p.distributor_id, str(p.distributor)) for p in parties]
        from keychannel.deals.handover import open_distributor_deals

        # Only the decider sees this form (a manufacturer role allowed to resolve the conflict).
        self.fields["hand_over"].choices = [
            (d.pk, f"#{d.pk} {d.title} · {d.distributor.code}")
            for d in open_distributor_deals(conflict.client_id).select_related("distributor").order_by("pk")[:200]
        ]
        if not self.fields["hand_over"].choices:
            del self.fields["hand_over"]
        for party in parties:
            self.fields[f"share_{party.distributor_id}"] = forms.IntegerField(
                label=_("Share of %(d)s (%%)") % {"d": party.distributor.code}, required=False, min_value=0, max_value=100
            )
            self.fields[f"share_{party.distributor_id}"].widget.attrs["class"] = "form-control"

    def shares(self) -> dict:
        return {
            p.distributor_id: self.cleaned_data.get(f"share_{p.distributor_id}")
            for p in self.parties
            if self.cleaned_data.get(f"share_{p.distributor_id}") is not None
        }


class LeadForm(StyledFormMixin, forms.Form):
    company_name = forms.CharField(label=_("Company"), max_length=200)
    tax_id = forms.CharField(label=_("Tax id"), max_length=20, required=False)
    territory = forms.ModelChoiceField(label=_("Territory"), queryset=None)
    product_lines = forms.ModelMultipleChoiceField(label=_("Product lines"), queryset=None, widget=forms.CheckboxSelectMultiple)
    estimated_value = forms.DecimalField(label=_("Estimated value (RON)"), min_value=0, max_digits=16, decimal_places=2, initial=0)
    source = forms.ChoiceField(label=_("Source"), choices=LeadSource.choices)
    contact_name = forms.CharField(label=_("Contact person"), max_length=150, required=False)
    contact_email = forms.EmailField(label=_("Contact e-mail"), required=False)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, principal, **kwargs):
        super().__init__(*args, **kwargs)
        from keychannel.network.models import ProductLine, Territory

        self.fields["territory"].queryset = Territory.objects.visible_to(principal)
        self.fields["product_lines"].queryset = ProductLine.objects.visible_to(principal).filter(active=True)


class LeadResponseForm(StyledFormMixin, forms.Form):
    action = forms.ChoiceField(label=_("Answer"), choices=[("accept", _("Accept")), ("decline", _("Decline"))])
    reason = forms.CharField(label=_("Reason for declining"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class LeadAssignForm(StyledFormMixin, forms.Form):
    """Hand a lead nobody took to a distributor, naming the person there who should take it."""

    distributor = ChooserField(kind="distributors", label=_("Distributor"), queryset=None)
    assignee = forms.ModelChoiceField(
        label=_("Person asked to take it"), queryset=None, required=False,
        help_text=_("A head or salesperson of that distributor. Empty: its heads are told."),
    )

    def __init__(self, *args, principal=None, **kwargs):
        super().__init__(*args, **kwargs)
        from django.contrib.auth import get_user_model

        from keychannel.network.models import Distributor

        distributors = Distributor.objects.visible_to(principal).filter(active=True).order_by("code")
        if principal.distributor_ids is not None:
            distributors = distributors.filter(pk__in=in_lookup(principal.distributor_ids))
        self.fields["distributor"].queryset = distributors
        self.fields["assignee"].queryset = get_user_model().objects.filter(
            is_active=True, membership__organization__distributor__in=distributors).order_by("last_name", "username")
        self.fields["assignee"].label_from_instance = lambda u: (
            f"{u.get_full_name() or u.get_username()} · {u.membership.organization.name}")


class ChannelPolicyForm(StyledFormMixin, forms.Form):
    key_accounts_need_registration = forms.BooleanField(label=_("Key accounts need a registration"), required=False)
    registration_value_threshold = forms.DecimalField(
        label=_("Registration needed from (RON)"), required=False, min_value=0, max_digits=16, decimal_places=2,
        help_text=_("Deals of at least this value need a registration. Empty: no value rule."),
    )
    out_of_scope_grace_days = forms.IntegerField(
        label=_("Grace period after taking a client out of scope (days)"), min_value=0, max_value=365,
        help_text=_("How long a distributor keeps its open deals on the client, unless the decision says otherwise."),
    )
    product_test_needs_manufacturer_signoff = forms.BooleanField(
        label=_("Product tests need a manufacturer sign-off"), required=False,
        help_text=_("Besides the client's stakeholders, a manufacturer role other than the deal's owner signs a "
                    "passed test off."),
    )
