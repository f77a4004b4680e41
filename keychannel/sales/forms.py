from django import forms
from django.utils.translation import gettext_lazy as _

from keychannel.core.choosers import ChooserField
from keychannel.core.forms import StyledFormMixin
from keychannel.network.models import ProductLine

from . import parsing
from .choices import WhyChose, WillContinue


class UploadForm(StyledFormMixin, forms.Form):
    distributor = ChooserField(kind="distributors", queryset=None, label=_("Distributor"))
    file = forms.FileField(label=_("Report file (CSV or XLSX)"))
    period = forms.RegexField(regex=r"^\d{4}-\d{2}$", required=False, label=_("Period (YYYY-MM)"),
                              help_text=_("Empty: the month most rows fall in."),
                              widget=forms.TextInput(attrs={"placeholder": "2026-10", "type": "month"}))
    mapping = forms.ChoiceField(required=False, label=_("Column mapping"),
                                help_text=_("Empty: the distributor's default template, else recognised from the headers."))
    supersede = forms.BooleanField(required=False, label=_("This corrected file replaces the report already applied for the month"))

    def __init__(self, *args, distributors, templates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["distributor"].queryset = distributors
        if distributors.count() == 1:
            self.fields["distributor"].initial = distributors.first()
        self.fields["mapping"].choices = [("", _("Automatic"))] + [
            (t.name, f"{t.distributor.code}: {t.name}") for t in templates
        ]


class MappingForm(StyledFormMixin, forms.Form):
    """One select per field, offering the file's headers."""

    save_as = forms.CharField(required=False, max_length=80, label=_("Save as template named"))

    def __init__(self, *args, headers, initial_mapping, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "—")] + [(h, h) for h in headers if h]
        for name in parsing.FIELDS:
            self.fields[f"map_{name}"] = forms.ChoiceField(
                choices=choices, required=name in parsing.REQUIRED_FIELDS, label=parsing.FIELD_LABELS[name],
                initial=initial_mapping.get(name, ""),
            )
        self.order_fields([f"map_{n}" for n in parsing.FIELDS] + ["save_as"])

    def mapping(self) -> dict:
        return {n: self.cleaned_data.get(f"map_{n}") for n in parsing.FIELDS if self.cleaned_data.get(f"map_{n}")}


class ProductMappingForm(StyledFormMixin, forms.Form):
    product_code = forms.CharField(max_length=60, label=_("Product code in the reports"))
    product_line = forms.ModelChoiceField(queryset=ProductLine.objects.filter(active=True), label=_("Product line"))
    description = forms.CharField(max_length=200, required=False, label=_("Description"))


class SurveyForm(StyledFormMixin, forms.Form):
    name = forms.CharField(max_length=150, label=_("Name"))
    distributor = ChooserField(kind="distributors", queryset=None, required=False, label=_("Distributor"),
                                         help_text=_("Empty: a network-wide campaign."))
    closes_on = forms.DateField(label=_("Links expire on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    intro = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), label=_("Introduction"))

    def __init__(self, *args, distributors, network_wide, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["distributor"].queryset = distributors
        if not network_wide:
            self.fields["distributor"].required = True
            self.fields["distributor"].help_text = ""


class InvitationForm(StyledFormMixin, forms.Form):
    client = ChooserField(kind="clients", queryset=None, label=_("Client"))
    contact_name = forms.CharField(max_length=150, label=_("Contact"))
    contact_email = forms.EmailField(required=False, label=_("E-mail"))

    def __init__(self, *args, clients, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = clients


class SurveyAnswerForm(StyledFormMixin, forms.Form):
    why_chose = forms.ChoiceField(choices=WhyChose.choices, label=_("Why did you choose our products?"),
                                  widget=forms.RadioSelect)
    expected_volume = forms.DecimalField(required=False, min_value=0, max_digits=16, decimal_places=2,
                                         label=_("What volume do you expect to buy next year (RON, before VAT)?"))
    will_continue = forms.ChoiceField(choices=WillContinue.choices, label=_("Will you continue to buy from us?"),
                                      widget=forms.RadioSelect)
    recommend = forms.TypedChoiceField(choices=[(i, str(i)) for i in range(11)], coerce=int,
                                       label=_("How likely are you to recommend us to a colleague (0–10)?"),
                                       widget=forms.RadioSelect)
    comment = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 4}),
                              label=_("Anything else you would like to tell us?"))


class RecordedAnswerForm(SurveyAnswerForm):
    """The same questions, recorded by a staff member who heard the answer by phone or at a meeting."""

    channel = forms.ChoiceField(label=_("How was it given?"),
                                choices=[("phone", _("By phone")), ("meeting", _("At a meeting"))])

    field_order = ["channel"]
