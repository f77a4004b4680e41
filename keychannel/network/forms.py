from django import forms

from keychannel.core.forms import StyledFormMixin

from .models import Coverage, Distributor, Playbook, Territory


class DistributorForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Distributor
        fields = [
            "legal_name", "tax_id", "territory", "city", "address", "phone", "email", "size_tier",
            "annual_revenue", "employees", "contract_strength", "stance", "shares_goals", "shares_methods",
            "channel_manager", "product_lines", "contract_start", "active",
        ]
        widgets = {
            "contract_start": forms.DateInput(attrs={"type": "date"}),
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
            "valid_from": forms.DateInput(attrs={"type": "date"}),
            "valid_to": forms.DateInput(attrs={"type": "date"}),
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
