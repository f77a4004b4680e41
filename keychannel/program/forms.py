import json

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from keychannel.core.choices import Role
from keychannel.core.choosers import ChooserField
from keychannel.core.forms import StyledFormMixin
from keychannel.core.scoping import in_lookup
from keychannel.network.models import Distributor

from . import metrics
from .choices import EventKind, EventStatus, GoalLevel, Rsvp, RuleKind, SignoffDecision, SupportKind
from .models import Goal, ProgramRule

DATE = {"type": "date"}
DATETIME = {"type": "datetime-local"}


class ProgramForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=160)
    strategy = forms.CharField(label=_("Strategy"), widget=forms.Textarea(attrs={"rows": 5}))
    manager = forms.ModelChoiceField(label=_("Program manager"), queryset=get_user_model().objects.none())
    starts_on = forms.DateField(label=_("Starts on"), widget=forms.DateInput(attrs=DATE))
    ends_on = forms.DateField(label=_("Ends on"), widget=forms.DateInput(attrs=DATE))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = get_user_model().objects.filter(
            membership__role__in=[Role.PROGRAM_MANAGER, Role.ADMIN]
        ).order_by("username")


class SignoffForm(StyledFormMixin, forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=SignoffDecision.choices)
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class LaunchForm(StyledFormMixin, forms.Form):
    override_reason = forms.CharField(
        label=_("Override reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed only when not every executive has approved (administrators only)."),
    )


class GoalForm(StyledFormMixin, forms.Form):
    parent = forms.ModelChoiceField(label=_("Parent goal"), queryset=Goal.objects.none(), required=False)
    level = forms.ChoiceField(label=_("Level"), choices=GoalLevel.choices)
    name = forms.CharField(label=_("Name"), max_length=160, required=False,
                           help_text=_("Office or department name; a distributor goal takes the distributor's name."))
    distributor = ChooserField(kind="distributors", label=_("Distributor"), queryset=Distributor.objects.none(), required=False)
    metric = forms.ChoiceField(label=_("Metric"), choices=())
    target = forms.DecimalField(label=_("Target"), min_value=0, max_digits=16, decimal_places=2)
    starts_on = forms.DateField(label=_("Period from"), required=False, widget=forms.DateInput(attrs=DATE))
    ends_on = forms.DateField(label=_("Period to"), required=False, widget=forms.DateInput(attrs=DATE))

    def __init__(self, *args, program=None, principal=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["metric"].choices = metrics.metric_choices()
        self.fields["parent"].queryset = Goal.objects.visible_to(principal).filter(program=program).exclude(
            level=GoalLevel.DISTRIBUTOR
        )
        self.fields["distributor"].queryset = Distributor.objects.visible_to(principal).filter(active=True)


class GoalUpdateForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=160)
    target = forms.DecimalField(label=_("Target"), min_value=0, max_digits=16, decimal_places=2)
    starts_on = forms.DateField(label=_("Period from"), widget=forms.DateInput(attrs=DATE))
    ends_on = forms.DateField(label=_("Period to"), widget=forms.DateInput(attrs=DATE))


class MilestoneForm(StyledFormMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=160)
    expected_result = forms.CharField(label=_("Expected result"), widget=forms.Textarea(attrs={"rows": 2}))
    due_on = forms.DateField(label=_("Due on"), widget=forms.DateInput(attrs=DATE))


class RuleForm(StyledFormMixin, forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=60, help_text=_("Reuse a code to write a new version of that rule."))
    kind = forms.ChoiceField(label=_("Kind"), choices=RuleKind.choices)
    title = forms.CharField(label=_("Title"), max_length=160)
    text = forms.CharField(label=_("Rule text"), widget=forms.Textarea(attrs={"rows": 4}))
    parameters = forms.CharField(
        label=_("Parameters (JSON)"), required=False, widget=forms.Textarea(attrs={"rows": 3, "class": "font-monospace"}),
        help_text=_('Incentive: {"metric": "corporate_revenue", "bonus_percent": 2, "cap": 50000}'),
    )

    def clean_parameters(self):
        raw = (self.cleaned_data.get("parameters") or "").strip()
        if not raw:
            return {}
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            raise forms.ValidationError(_("This is not valid JSON.")) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_("Parameters are a JSON object."))
        return value


class LedgerForm(StyledFormMixin, forms.Form):
    rule = forms.ModelChoiceField(label=_("Rule"), queryset=ProgramRule.objects.none())
    amount = forms.DecimalField(label=_("Amount (RON)"), min_value=0, max_digits=16, decimal_places=2, initial=0)
    evidence = forms.CharField(label=_("Evidence"), widget=forms.Textarea(attrs={"rows": 3}))
    applied_on = forms.DateField(label=_("Applied on"), widget=forms.DateInput(attrs=DATE))
    expires_on = forms.DateField(label=_("Expires on"), required=False, widget=forms.DateInput(attrs=DATE))

    def __init__(self, *args, rules=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule"].queryset = rules if rules is not None else ProgramRule.objects.none()


class AppealForm(StyledFormMixin, forms.Form):
    text = forms.CharField(label=_("Why should this entry be lifted?"), widget=forms.Textarea(attrs={"rows": 2}))


class AppealDecisionForm(StyledFormMixin, forms.Form):
    granted = forms.BooleanField(label=_("Grant the appeal (lift the entry)"), required=False)
    decision = forms.CharField(label=_("Reasons"), widget=forms.Textarea(attrs={"rows": 2}))


class AwardForm(StyledFormMixin, forms.Form):
    title = forms.CharField(label=_("Award"), max_length=160)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
    awarded_on = forms.DateField(label=_("Awarded on"), widget=forms.DateInput(attrs=DATE))


class EventForm(StyledFormMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=160)
    kind = forms.ChoiceField(label=_("Kind"), choices=EventKind.choices)
    starts_at = forms.DateTimeField(label=_("Starts"), widget=forms.DateTimeInput(attrs=DATETIME))
    ends_at = forms.DateTimeField(label=_("Ends"), widget=forms.DateTimeInput(attrs=DATETIME))
    location = forms.CharField(label=_("Location"), max_length=200, required=False)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    status = forms.ChoiceField(label=_("Status"), choices=EventStatus.choices)
    open_to_all = forms.BooleanField(label=_("Open to the whole network"), required=False)


class InviteForm(StyledFormMixin, forms.Form):
    distributors = forms.ModelMultipleChoiceField(
        label=_("Distributors (all their people)"), queryset=Distributor.objects.none(), required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    users = forms.ModelMultipleChoiceField(
        label=_("Manufacturer people"), queryset=get_user_model().objects.none(), required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    def __init__(self, *args, principal=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["distributors"].queryset = Distributor.objects.visible_to(principal).filter(active=True)
        self.fields["users"].queryset = get_user_model().objects.filter(
            membership__organization__kind="manufacturer", is_active=True
        ).order_by("username")


class RsvpForm(StyledFormMixin, forms.Form):
    rsvp = forms.ChoiceField(label=_("Your answer"), choices=[c for c in Rsvp.choices if c[0] != Rsvp.PENDING])


class BudgetForm(StyledFormMixin, forms.Form):
    distributor = ChooserField(kind="distributors", label=_("Distributor"), queryset=Distributor.objects.none())
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    amount = forms.DecimalField(label=_("Budget (RON)"), min_value=0, max_digits=16, decimal_places=2, required=False,
                                help_text=_("A fixed amount; or leave it empty and give the support pool."))
    pool = forms.DecimalField(label=_("Support pool (RON)"), min_value=0, max_digits=16, decimal_places=2, required=False,
                              help_text=_("The budget becomes the distributor's program level share of this pool."))

    def clean(self):
        data = super().clean()
        if (data.get("amount") is None) == (data.get("pool") is None) and not self.errors:
            raise forms.ValidationError(_("Give either a fixed amount or a support pool, not both."))
        return data

    def __init__(self, *args, principal=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["distributor"].queryset = Distributor.objects.visible_to(principal).filter(active=True)


class SupportRequestForm(StyledFormMixin, forms.Form):
    distributor = ChooserField(kind="distributors", label=_("Distributor"), queryset=Distributor.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=SupportKind.choices)
    title = forms.CharField(label=_("Title"), max_length=160)
    description = forms.CharField(label=_("What for"), widget=forms.Textarea(attrs={"rows": 3}))
    amount_requested = forms.DecimalField(label=_("Amount (RON, financial only)"), min_value=0, max_digits=16,
                                          decimal_places=2, required=False)
    client = ChooserField(kind="clients", label=_("Client (if the support is for one client)"), queryset=None,
                          required=False)
    return_months = forms.IntegerField(label=_("Months after approval that count as its return"), min_value=1,
                                       max_value=60, initial=12, required=False)

    def __init__(self, *args, principal=None, **kwargs):
        super().__init__(*args, **kwargs)
        from keychannel.clients.selectors import client_list

        qs = Distributor.objects.visible_to(principal).filter(active=True)
        if principal.distributor_ids is not None:
            qs = qs.filter(pk__in=in_lookup(principal.distributor_ids))
        self.fields["distributor"].queryset = qs
        self.fields["client"].queryset = client_list(principal=principal).order_by("legal_name")
        if principal.is_distributor_user:
            self.fields["distributor"].initial = principal.own_distributor_id


class SupportDecisionForm(StyledFormMixin, forms.Form):
    approve = forms.TypedChoiceField(label=_("Decision"), choices=[("1", _("Approve")), ("0", _("Reject"))],
                                     coerce=lambda v: v == "1")
    amount_approved = forms.DecimalField(label=_("Amount approved (RON)"), min_value=0, max_digits=16, decimal_places=2,
                                         required=False)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class SupportClaimForm(StyledFormMixin, forms.Form):
    amount_claimed = forms.DecimalField(label=_("Amount claimed (RON)"), min_value=0, max_digits=16, decimal_places=2)
    proof = forms.FileField(label=_("Proof (PDF, PNG or JPEG, at most 5 MB)"))
    final = forms.BooleanField(label=_("This is the last claim (release the rest of the approved amount)"),
                               required=False)


class BestPracticeForm(StyledFormMixin, forms.Form):
    distributor = ChooserField(kind="distributors", label=_("Distributor"), queryset=Distributor.objects.none())
    title = forms.CharField(label=_("Title"), max_length=160)
    story = forms.CharField(label=_("Story"), widget=forms.Textarea(attrs={"rows": 6}))
    lessons = forms.CharField(label=_("What others can copy"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    deal = ChooserField(kind="deals", label=_("Won deal"), queryset=None, required=False)
    deal_reference = forms.CharField(label=_("Deal reference"), max_length=120, required=False)

    def __init__(self, *args, principal=None, **kwargs):
        super().__init__(*args, **kwargs)
        from django.apps import apps

        qs = Distributor.objects.visible_to(principal).filter(active=True)
        self.fields["distributor"].queryset = qs
        opportunity = apps.get_model("deals", "Opportunity")
        self.fields["deal"].queryset = (
            opportunity.objects.visible_to(principal).filter(stage="won").select_related("client").order_by("-closed_on", "-pk")
        )
        if principal.is_distributor_user:
            self.fields["distributor"].initial = principal.own_distributor_id


class LevelRecomputeForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label=_("Why"), required=False, max_length=500)


class RevisionForm(StyledFormMixin, forms.Form):
    # Not required here: the service says what is missing, the same way on every path.
    reason = forms.CharField(
        label=_("What the new version changes"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The program goes back to draft; every executive signs the new version again."),
    )


class WithdrawalForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why the program is withdrawn"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
    )
