from django import forms
from django.utils.translation import gettext_lazy as _

from keychannel.core.forms import StyledFormMixin

from .models import (
    ActionItem,
    ComplianceReview,
    Coverage,
    Distributor,
    DistributorPerson,
    Interaction,
    Playbook,
    Relationship,
    Territory,
)


class DistributorForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Distributor
        fields = [
            "legal_name", "tax_id", "territory", "city", "address", "phone", "email", "size_tier",
            "annual_revenue", "employees", "contract_strength", "stance", "shares_goals", "shares_methods",
            "channel_manager", "product_lines", "contract_start", "active",
        ]
        widgets = {
            "contract_start": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "product_lines": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, allowed_fields=None, **kwargs):
        super().__init__(*args, **kwargs)
        from django.contrib.auth import get_user_model

        from keychannel.core.choices import Role

        self.fields["channel_manager"].queryset = get_user_model().objects.filter(
            membership__role=Role.CHANNEL_MANAGER
        ).order_by("username")
        if allowed_fields is not None:
            for name in list(self.fields):
                if name not in allowed_fields:
                    del self.fields[name]


class CoverageForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Coverage
        fields = ["territory", "product_line", "exclusive", "valid_from", "valid_to", "note"]
        widgets = {
            "valid_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "valid_to": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, distributor=None, **kwargs):
        super().__init__(*args, **kwargs)
        if distributor is not None:
            self.fields["product_line"].queryset = distributor.product_lines.all()
        self.fields["territory"].queryset = Territory.objects.select_related("parent").order_by("level", "name")

    def _post_clean(self):
        # The service validates the whole record (incl. the distributor it belongs to); skip the model check here.
        pass


class PlaybookForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Playbook
        fields = ["title", "approach", "actions"]
        widgets = {"approach": forms.Textarea(attrs={"rows": 5}), "actions": forms.Textarea(attrs={"rows": 5})}


class ServiceValidatedModelForm(StyledFormMixin, forms.ModelForm):
    """The service validates the whole record (and owns the write): the form only parses the fields."""

    def _post_clean(self):
        pass


class PersonForm(ServiceValidatedModelForm):
    class Meta:
        model = DistributorPerson
        fields = ["full_name", "level", "title", "email", "phone", "notes", "active"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


def manufacturer_users():
    from django.contrib.auth import get_user_model

    from keychannel.core.choices import MANUFACTURER_ROLES

    return get_user_model().objects.filter(membership__role__in=list(MANUFACTURER_ROLES)).order_by("last_name", "username")


class RelationshipForm(ServiceValidatedModelForm):
    class Meta:
        model = Relationship
        fields = ["person", "manufacturer_user", "manufacturer_level", "strength", "last_interaction", "note", "active"]
        widgets = {"last_interaction": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), "note": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, distributor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = DistributorPerson.objects.filter(distributor=distributor)
        self.fields["manufacturer_user"].queryset = manufacturer_users()
        self.fields["manufacturer_user"].label_from_instance = lambda u: u.get_full_name() or u.get_username()
        if self.instance.pk:
            del self.fields["person"]


class InteractionForm(ServiceValidatedModelForm):
    class Meta:
        model = Interaction
        fields = ["occurred_on", "kind", "summary"]
        widgets = {"occurred_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), "summary": forms.Textarea(attrs={"rows": 3})}


class ReadinessForm(StyledFormMixin, forms.Form):
    """One 0–4 choice per question of the questionnaire version in use."""

    assessed_on = forms.DateField(label=_("Assessed on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    summary = forms.CharField(label=_("Summary"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    SCALE = [(str(i), str(i)) for i in range(5)]

    def __init__(self, *args, questionnaire, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = list(questionnaire.questions.all())
        for question in self.questions:
            self.fields[f"q_{question.code}"] = forms.TypedChoiceField(
                label=question.text, help_text=question.help_text, choices=self.SCALE, coerce=int,
                widget=forms.RadioSelect(attrs={"class": "form-check-inline"}),
            )
        # Questions first, then the date and summary.
        order = [f"q_{q.code}" for q in self.questions] + ["assessed_on", "summary"]
        self.order_fields(order)

    def answers(self) -> dict:
        return {q.code: self.cleaned_data[f"q_{q.code}"] for q in self.questions}


class ActionItemForm(ServiceValidatedModelForm):
    class Meta:
        model = ActionItem
        fields = ["title", "owner", "due_on", "status"]
        widgets = {"due_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, distributor=None, **kwargs):
        super().__init__(*args, **kwargs)
        from django.contrib.auth import get_user_model
        from django.db.models import Q

        from keychannel.core.choices import MANUFACTURER_ROLES

        self.fields["owner"].queryset = get_user_model().objects.filter(
            Q(membership__role__in=list(MANUFACTURER_ROLES)) | Q(membership__organization_id=distributor.organization_id)
        ).order_by("last_name", "username")
        self.fields["owner"].label_from_instance = lambda u: u.get_full_name() or u.get_username()


class ReviewForm(ServiceValidatedModelForm):
    class Meta:
        model = ComplianceReview
        fields = ["period", "reviewed_on", "status", "findings", "agreed_actions", "follow_up_on", "follow_up_notes"]
        widgets = {
            "reviewed_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "follow_up_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "findings": forms.Textarea(attrs={"rows": 4}),
            "agreed_actions": forms.Textarea(attrs={"rows": 4}),
            "follow_up_notes": forms.Textarea(attrs={"rows": 3}),
        }
