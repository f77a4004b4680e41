from django import forms
from django.utils.translation import gettext_lazy as _

from keychannel.core.events import EVENT_TYPES
from keychannel.core.forms import StyledFormMixin


class SubscriptionForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("What receives the events, e.g. 'ERP'."))
    url = forms.URLField(label=_("Endpoint URL"), max_length=500, assume_scheme="https",
                         help_text=_("An https:// address that accepts POST requests."))
    event_types = forms.MultipleChoiceField(
        label=_("Events"), widget=forms.CheckboxSelectMultiple, choices=lambda: list(EVENT_TYPES.items()),
    )
