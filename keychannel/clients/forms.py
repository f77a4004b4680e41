from django import forms
from django.utils.translation import gettext_lazy as _

from keychannel.core.choosers import chooser_field
from keychannel.core.forms import StyledFormMixin, choices_from

from .choices import BuyingRole, RelationshipLevel
from .models import (
    AccountAction,
    AccountCompetitor,
    AccountObjective,
    AccountPlan,
    CorporateClient,
    Stakeholder,
)


class ClientForm(StyledFormMixin, forms.ModelForm):
    confirm_not_duplicate = forms.BooleanField(
        label=_("I checked the similar clients above: this is a different company."), required=False
    )

    class Meta:
        model = CorporateClient
        fields = [
            "legal_name", "tax_id", "code", "distributor", "industry", "employees", "revenue_band", "territory",
            "city", "potential_annual_volume", "status", "is_key_account", "why_chose_us",
        ]
        widgets = {"why_chose_us": forms.Textarea(attrs={"rows": 3})}
        field_classes = {"distributor": chooser_field("distributors")}

    def __init__(self, *args, principal, distributors=None, show_confirm=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["potential_annual_volume"].min_value = 0
        self.fields["potential_annual_volume"].widget.attrs["min"] = 0
        self.fields["employees"].widget.attrs["min"] = 0
        if distributors is None:
            del self.fields["distributor"]
        else:
            self.fields["distributor"].queryset = distributors
            self.fields["distributor"].empty_label = _("Direct (manufacturer-led)")
        if not show_confirm:
            del self.fields["confirm_not_duplicate"]
        self.fields["legal_name"].widget.attrs["autocomplete"] = "off"
        self.fields["tax_id"].widget.attrs["autocomplete"] = "off"

    def _post_clean(self):
        """As ModelForm's, without the unique constraints: uniqueness (tax id, code) is decided by the
        service together with the duplicate check, so a match in another book is reported without details."""
        from django.core.exceptions import ValidationError
        from django.forms.models import construct_instance

        try:
            self.instance = construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)
            self.instance.full_clean(
                exclude=self._get_validation_exclusions(), validate_unique=False, validate_constraints=False
            )
        except ValidationError as exc:
            self._update_errors(exc)

    def clean_potential_annual_volume(self):
        value = self.cleaned_data.get("potential_annual_volume")
        if value is not None and value < 0:
            raise forms.ValidationError(_("The volume cannot be negative."))
        return value


class StakeholderForm(StyledFormMixin, forms.ModelForm):
    buying_roles = forms.MultipleChoiceField(
        label=_("Buying roles"), choices=BuyingRole.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Stakeholder
        fields = [
            "full_name", "job_title", "level", "reports_to", "buying_roles", "influence", "attitude", "is_external",
            "external_organization", "email", "phone", "last_contact_on", "personal_interests", "company_interests",
        ]
        widgets = {
            "last_contact_on": forms.DateInput(attrs={"type": "date"}),
            "personal_interests": forms.Textarea(attrs={"rows": 2}),
            "company_interests": forms.Textarea(attrs={"rows": 2}),
            "influence": forms.NumberInput(attrs={"min": 1, "max": 5}),
            "attitude": forms.NumberInput(attrs={"min": -2, "max": 2}),
        }

    def __init__(self, *args, client, people=None, **kwargs):
        """``people``: the client's stakeholders by name, when the page has read them already."""
        super().__init__(*args, **kwargs)
        managers = client.stakeholders.all()
        if self.instance.pk:
            managers = managers.exclude(pk=self.instance.pk)
        self.fields["reports_to"].queryset = managers.order_by("full_name")
        if people is not None:
            choices_from(self.fields["reports_to"], [p for p in people if p.pk != self.instance.pk])
        self.instance.client = client
        if self.instance.pk:
            # The version the editor saw goes back with the form; a stale one is refused by the service.
            self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1,
                                                        initial=self.instance.version)


class ContactForm(StyledFormMixin, forms.Form):
    user = forms.ModelChoiceField(label=_("Our person"), queryset=None)
    current_level = forms.ChoiceField(label=_("Now"), choices=RelationshipLevel.choices,
                                      initial=RelationshipLevel.ACQUAINTED)
    desired_level = forms.ChoiceField(label=_("Wanted"), choices=RelationshipLevel.choices,
                                      initial=RelationshipLevel.TRUSTED)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = people
        self.fields["user"].label_from_instance = lambda u: u.get_full_name() or u.username


class LinkForm(StyledFormMixin, forms.Form):
    source = forms.ModelChoiceField(label=_("Person"), queryset=None)
    kind = forms.ChoiceField(label=_("Link"), choices=[])
    target = forms.ModelChoiceField(label=_("Other person"), queryset=None)
    note = forms.CharField(label=_("Note"), max_length=250, required=False)

    def __init__(self, *args, client, people=None, **kwargs):
        """``people``: the client's stakeholders by name, when the page has read them already."""
        from .choices import StakeholderLinkKind

        super().__init__(*args, **kwargs)
        stakeholders = client.stakeholders.order_by("full_name")
        self.fields["source"].queryset = stakeholders
        self.fields["target"].queryset = stakeholders
        if people is not None:
            choices_from(self.fields["source"], people)
            choices_from(self.fields["target"], people)
        self.fields["kind"].choices = StakeholderLinkKind.choices


class MergeForm(StyledFormMixin, forms.Form):
    duplicate = forms.ModelChoiceField(label=_("Client to absorb"), queryset=None)

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["duplicate"].queryset = candidates
        self.fields["duplicate"].label_from_instance = lambda c: f"{c.legal_name} · {c.tax_id or '—'} · #{c.pk}"


class AccountPlanForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = AccountPlan
        fields = ["ambition", "situation", "owner", "review_on"]
        widgets = {
            "ambition": forms.Textarea(attrs={"rows": 2}),
            "situation": forms.Textarea(attrs={"rows": 2}),
            "review_on": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = people


def _owner(form, people):
    form.fields["owner"].queryset = people
    form.fields["owner"].label_from_instance = lambda u: u.get_full_name() or u.username


class ObjectiveForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = AccountObjective
        fields = ["title", "measure", "owner", "due_on", "status", "result"]
        widgets = {"due_on": forms.DateInput(attrs={"type": "date"}), "result": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, people, plan=None, **kwargs):
        super().__init__(*args, **kwargs)
        _owner(self, people)


class ActionForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = AccountAction
        fields = ["title", "objective", "owner", "due_on", "status", "result"]
        widgets = {"due_on": forms.DateInput(attrs={"type": "date"}), "result": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, people, plan=None, **kwargs):
        super().__init__(*args, **kwargs)
        _owner(self, people)
        self.fields["objective"].queryset = plan.objectives.all() if plan else AccountObjective.objects.none()


class CompetitorForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = AccountCompetitor
        fields = ["name", "position", "products", "note"]

    def __init__(self, *args, people=None, plan=None, **kwargs):
        super().__init__(*args, **kwargs)


PLAN_ITEM_FORMS = {"objective": ObjectiveForm, "action": ActionForm, "competitor": CompetitorForm}
