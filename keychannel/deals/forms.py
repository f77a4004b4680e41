from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from keychannel.clients.models import CorporateClient, Stakeholder
from keychannel.core.assignment import offer_assignable
from keychannel.core.choices import Role
from keychannel.core.choosers import ChooserField
from keychannel.core.forms import StyledFormMixin
from keychannel.core.policies import can
from keychannel.network.models import ProductLine

from .choices import OPEN_STAGES, LostReason, Origin, Stage
from .models import Activity, CorporateContract, CorporateTier, Opportunity, ProductTest

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def people_for(principal, distributor=None):
    """Users who may take part in a deal: the manufacturer's people and those of the deal's distributor."""
    users = get_user_model().objects.filter(membership__isnull=False, is_active=True).select_related("membership")
    manufacturer = Q(membership__role__in=[r for r in Role.values if r not in (Role.DIST_HEAD, Role.DIST_SALES)])
    if distributor is not None:
        return users.filter(manufacturer | Q(membership__organization_id=distributor.organization_id)).order_by("username")
    if principal.is_distributor_user:
        return users.filter(manufacturer | Q(membership__organization_id=principal.organization_id)).order_by("username")
    return users.order_by("username")


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.get_username()


class UserMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.get_username()


def _role_users(role):
    return get_user_model().objects.filter(membership__role=role, is_active=True).order_by("username")


class OpportunityForm(StyledFormMixin, forms.ModelForm):
    owner = UserChoiceField(label=_("Owner"), queryset=get_user_model().objects.none())
    mentor = UserChoiceField(label=_("Mentor"), queryset=get_user_model().objects.none(), required=False)
    kam = UserChoiceField(label=_("Embedded KAM"), queryset=get_user_model().objects.none(), required=False)

    class Meta:
        model = Opportunity
        fields = ["title", "value", "volume", "product_lines", "owner", "mentor", "kam", "expected_close_on",
                  "next_step", "next_step_on", "source_reference"]
        widgets = {"expected_close_on": DATE, "next_step_on": DATE, "product_lines": forms.CheckboxSelectMultiple}

    def __init__(self, *args, principal, can_reassign=True, **kwargs):
        super().__init__(*args, **kwargs)
        distributor = self.instance.distributor if self.instance.pk else None
        self.fields["owner"].queryset = people_for(principal, distributor)
        self.fields["mentor"].queryset = _role_users(Role.MENTOR)
        self.fields["kam"].queryset = _role_users(Role.EMBEDDED_KAM)
        self.fields["product_lines"].queryset = ProductLine.objects.filter(active=True)
        for name in ("owner", "mentor", "kam"):  # a distributor is offered its own people (and who is there now)
            offer_assignable(self.fields[name], principal, getattr(self.instance, f"{name}_id", None))
        if not can_reassign:
            for name in ("owner", "mentor", "kam"):
                del self.fields[name]


class OpportunityCreateForm(OpportunityForm):
    client = ChooserField(kind="clients", label=_("Client"), queryset=CorporateClient.objects.none())
    direct = forms.BooleanField(label=_("Direct deal (manufacturer-led, no distributor)"), required=False)
    stage = forms.ChoiceField(label=_("Stage"), choices=[(s, Stage(s).label) for s in OPEN_STAGES],
                              initial=Stage.DISCUSSION)
    origin = forms.ChoiceField(label=_("Origin"), choices=Origin.choices, initial=Origin.MANUAL)

    field_order = ["title", "client", "direct", "stage", "origin"]

    def __init__(self, *args, principal, can_create_direct=False, **kwargs):
        super().__init__(*args, principal=principal, can_reassign=not principal.has_role(Role.DIST_SALES), **kwargs)
        self.fields["client"].queryset = CorporateClient.objects.visible_to(principal).select_related("distributor")
        if not can_create_direct:
            del self.fields["direct"]
        if principal.has_role(*GATE_DECIDERS):
            self.fields["gate_override_reason"] = gate_override_field()
        self.order_fields(self.field_order)


GATE_DECIDERS = (Role.ADMIN, Role.PROGRAM_MANAGER, Role.CHANNEL_MANAGER)


def gate_override_field():
    return forms.CharField(
        label=_("Override the registration gate because"), required=False, max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only when the deal needs a registration it does not have: the reason is recorded on the deal."),
    )


class MoveForm(StyledFormMixin, forms.Form):
    stage = forms.ChoiceField(label=_("Move to"), choices=Stage.choices)
    # Required when the deal is lost: the service says so (one rule for this form, the kanban and the API).
    lost_reason_code = forms.ChoiceField(label=_("Why was the deal lost?"), required=False,
                                         choices=[("", "—"), *LostReason.choices],
                                         help_text=_("Required when the deal is lost."))
    lost_reason = forms.CharField(label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                                  max_length=2000, help_text=_("Required when the reason is “Other”."))

    def __init__(self, *args, principal=None, **kwargs):
        super().__init__(*args, **kwargs)
        if principal is not None and principal.has_role(*GATE_DECIDERS):
            self.fields["gate_override_reason"] = gate_override_field()
        if principal is not None and principal.is_manufacturer:
            self.fields["test_override_reason"] = forms.CharField(
                label=_("Win despite the product test because"), required=False, max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text=_("Only when winning while a product test is pending or failed: the reason is recorded "
                            "on the deal."),
            )


class ApprovalForm(StyledFormMixin, forms.Form):
    """A client stakeholder named on the test approved its result (recorded by the user, now)."""

    stakeholder = forms.ModelChoiceField(label=_("Approved by"), queryset=Stakeholder.objects.none())
    note = forms.CharField(label=_("Note"), required=False, max_length=500,
                           help_text=_("E.g. where the approval was given: e-mail, minutes of the meeting."))

    def __init__(self, *args, product_test, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stakeholder"].queryset = product_test.signoff_stakeholders.all()
        self.fields["stakeholder"].label_from_instance = lambda s: s.full_name


class SignoffForm(StyledFormMixin, forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class ActivityForm(StyledFormMixin, forms.ModelForm):
    participants = UserMultipleChoiceField(label=_("Our participants"), queryset=get_user_model().objects.none(),
                                           required=False, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Activity
        fields = ["kind", "subject", "occurred_on", "outcome", "stakeholders", "participants", "product_test"]
        widgets = {"occurred_on": DATE, "stakeholders": forms.CheckboxSelectMultiple,
                   "outcome": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, opportunity, principal, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stakeholders"].queryset = Stakeholder.objects.filter(client_id=opportunity.client_id)
        self.fields["participants"].queryset = people_for(principal, opportunity.distributor)
        self.fields["product_test"].queryset = ProductTest.objects.filter(opportunity=opportunity)


class ProductTestForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = ProductTest
        fields = ["title", "plan", "samples", "starts_on", "ends_on", "success_criteria", "signoff_stakeholders",
                  "result", "result_notes", "decided_on"]
        widgets = {"starts_on": DATE, "ends_on": DATE, "decided_on": DATE,
                   "signoff_stakeholders": forms.CheckboxSelectMultiple,
                   "plan": forms.Textarea(attrs={"rows": 3}), "samples": forms.Textarea(attrs={"rows": 2}),
                   "success_criteria": forms.Textarea(attrs={"rows": 3}),
                   "result_notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, opportunity, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["signoff_stakeholders"].queryset = Stakeholder.objects.filter(client_id=opportunity.client_id)
        if not self.instance.pk:
            for name in ("result", "result_notes", "decided_on"):
                del self.fields[name]


class ContractForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = CorporateContract
        fields = ["status", "tier", "tier_exception_reason", "ends_on", "renewal_on", "volume_commitment", "notes"]
        widgets = {"ends_on": DATE, "renewal_on": DATE, "notes": forms.Textarea(attrs={"rows": 3}),
                   "tier_exception_reason": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, principal=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].queryset = CorporateTier.objects.filter(Q(active=True) | Q(code=self.instance.tier_id))
        if principal is not None and not can(principal, "deals.contract.set_tier", self.instance):
            # Shown, not editable: a posted tier is ignored (the service would refuse it anyway).
            self.fields["tier"].disabled = True
            self.fields["tier"].help_text = _("Set by the manufacturer.")
        if principal is None or not can(principal, "deals.contract.tier_exception", self.instance):
            del self.fields["tier_exception_reason"]
        else:
            self.initial["tier_exception_reason"] = ""
            self.fields["tier_exception_reason"].help_text = _(
                "Only to keep a tier whose volume threshold the contract does not reach: the reason is kept and shown.")

    def clean_tier_exception_reason(self):
        return self.cleaned_data.get("tier_exception_reason") or None
