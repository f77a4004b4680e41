"""core.forms.service_errors_to_form: the one way a page puts a service's refusal on its form.

Before it, ten views carried their own copy; they disagreed on API-style names (``kam_id``), and two crashed
(AttributeError, a 500) on a refusal without a field."""

from django import forms
from django.core.exceptions import ValidationError

from keychannel.core.errors import ConflictError
from keychannel.core.forms import service_errors_to_form


class _Form(forms.Form):
    name = forms.CharField()
    kam = forms.CharField(required=False)


def _form():
    form = _Form({"name": "Acme", "kam": "x"})
    assert form.is_valid()
    return form


def test_field_errors_land_on_their_fields_and_api_names_on_the_field_they_stand_for():
    form = _form()
    service_errors_to_form(form, ValidationError({"name": "Taken.", "kam_id": "Not a KAM.", "budget": "Too high."}))
    assert form.errors == {"name": ["Taken."], "kam": ["Not a KAM."], "__all__": ["Too high."]}


def test_a_refusal_without_a_field_lands_on_the_form():
    form = _form()
    service_errors_to_form(form, ValidationError("Closed programs cannot change."))
    assert form.non_field_errors() == ["Closed programs cannot change."]


def test_a_conflict_lands_on_the_form_as_its_sentence():
    form = _form()
    service_errors_to_form(form, ConflictError("Someone else decided first."))
    assert form.non_field_errors() == ["Someone else decided first."]
