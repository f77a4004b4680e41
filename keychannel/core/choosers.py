"""Choosing one of very many rows in a form: a client among 200,000, a deal among 300,000 (issue 22).

A form's ``ModelChoiceField`` renders every row of its queryset as an option. At the issue-10 data set the new
mentorship form was a 24.8 MB page that took 577 s to build, and the new deal, new case and new registration forms
of a manufacturer's user did not answer within the server's timeout. A :class:`ChooserField` counts its rows (up to
``FORM_TYPED_FROM + 1``, one small statement) when its queryset is set: with few it stays a select; with more it
becomes a text box where the user types a code or part of a name. The box asks ``/choose/<kind>/`` for up to
``SUGGESTIONS`` matches as the user types (HTMX fills a ``<datalist>``); without JavaScript the typed text is
resolved when the form is posted. The posted text is checked against the form's own queryset, so a suggestion
outside what this form allows is refused like any other value, with a message in the user's language.

What a kind of row needs (its rows for a principal, how text finds them, how a row is labelled) is a
:class:`ChooserKind`, declared in its app (clients/choosers.py, deals/choosers.py) and named in ``KINDS``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundField
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

FORM_TYPED_FROM = 200  # a select of up to this many options renders fast and is easy to use
SUGGESTIONS = 10
MAX_TEXT = 200
SEPARATOR = " · "  # between a row's code and its name in a label ("BX000123 · Termo Lituvi SRL")

KINDS = {"clients": "keychannel.clients.choosers.CLIENTS", "deals": "keychannel.deals.choosers.DEALS",
         "distributors": "keychannel.network.choosers.DISTRIBUTORS",
         "organizations": "keychannel.core.choosers.ORGANIZATIONS"}


@dataclass(frozen=True)
class ChooserKind:
    """One kind of row a form may choose among.

    ``rows(principal)``: what the suggestions may show (the form's queryset may be narrower: it decides on post);
    ``by_code(qs, code)``: the rows whose code (or number) is exactly this; ``search(qs, text)``: the rows the text
    finds, in the order to suggest them; ``label(row)``: "code · name", the text a suggestion puts in the box.
    """

    key: str
    rows: Callable
    by_code: Callable
    search: Callable
    label: Callable


def kind(key: str) -> ChooserKind:
    if key not in KINDS:
        raise Http404(key)
    return import_string(KINDS[key])


def code_of(text: str) -> str:
    """The code a typed text starts with: a suggestion's label is "code · name"; typed by hand, the whole text."""
    return text.split(SEPARATOR, 1)[0].strip()


class ChooserBoundField(BoundField):
    def as_widget(self, widget=None, attrs=None, only_initial=False):
        if widget is None and self.field.typed:
            widget = self.field.typed_widget()
        return super().as_widget(widget, attrs, only_initial)


class ChooserInput(forms.TextInput):
    """The text box of a chooser with many rows; its suggestions list follows it (``core/widgets/chooser.html``)."""

    template_name = "core/widgets/chooser.html"

    def __init__(self, kind_key: str, attrs=None):
        super().__init__(attrs)
        self.kind_key = kind_key

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        widget["suggestions_url"] = f"{reverse('core:choose', args=[self.kind_key])}?field={name}"
        widget["attrs"].update(autocomplete="off", maxlength=MAX_TEXT)
        return context


class ChooserField(forms.ModelChoiceField):
    """A ``ModelChoiceField`` drawn as a typed box with suggestions when its queryset has many rows.

    Whether it has is counted when the field is first drawn or cleaned, on the queryset the form set (not when it is
    declared, copied or given a queryset: a ModelForm's field gets the model's whole table at import)."""

    def __init__(self, *args, kind: str, **kwargs):
        self.kind_key = kind
        super().__init__(*args, **kwargs)

    @property
    def typed(self) -> bool:
        queryset = self.queryset
        if queryset is None or not isinstance(self.widget, forms.Select):  # (a hidden field stays hidden)
            return False
        if getattr(self, "_counted", None) is not queryset:
            self._counted = queryset
            self._many = queryset.order_by()[:FORM_TYPED_FROM + 1].count() > FORM_TYPED_FROM
        return self._many

    def typed_widget(self) -> ChooserInput:
        attrs = dict(self.widget.attrs)
        attrs["class"] = re.sub(r"\bform-select\b", "form-control", attrs.get("class", "form-control"))
        return ChooserInput(self.kind_key, attrs=attrs)

    def get_bound_field(self, form, field_name):
        return ChooserBoundField(form, self, field_name)

    @property
    def chooser(self) -> ChooserKind:
        return kind(self.kind_key)

    def prepare_value(self, value):
        if not self.typed:
            return super().prepare_value(value)
        if hasattr(value, "_meta"):
            return self.chooser.label(value)
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            row = self.queryset.filter(pk=value).first()  # an initial value (an id) shown as its label
            return self.chooser.label(row) if row is not None else value
        return value

    def to_python(self, value):
        if not self.typed:
            return super().to_python(value)
        text = (str(value) if value is not None else "").strip()[:MAX_TEXT]
        if not text:
            return None
        if text.isdigit() and (row := self.queryset.filter(pk=text).first()) is not None:
            return row  # an id, as a link or a bookmark gives it
        code = code_of(text)
        exact = list(self.chooser.by_code(self.queryset, code)[:SUGGESTIONS]) if code else []
        if len(exact) == 1:
            return exact[0]
        found = exact or list(self.chooser.search(self.queryset, code or text)[:SUGGESTIONS + 1])
        if len(found) == 1:
            return found[0]
        labelled = [row for row in found if self.chooser.label(row) == text]
        if len(labelled) == 1:  # a suggestion picked whole, whose code another row shares
            return labelled[0]
        if not found:
            raise ValidationError(_("Nothing you may choose here matches “%(text)s”. Type a code or part of the "
                                    "name and pick one of the suggestions."), code="invalid_choice",
                                  params={"text": text})
        shown = "; ".join(self.chooser.label(row) for row in found[:5])
        raise ValidationError(ngettext(
            "%(count)s choice matches “%(text)s”: pick one of the suggestions or type its code (%(examples)s).",
            "%(count)s choices match “%(text)s”: pick one of the suggestions or type its code (%(examples)s).",
            len(found)), code="invalid_choice",
            params={"count": f"{len(found)}+" if len(found) > SUGGESTIONS else len(found), "text": text,
                    "examples": shown})


def chooser_field(kind_key: str) -> type[ChooserField]:
    """A ``ChooserField`` of this kind as a class, for a ModelForm's ``Meta.field_classes``."""
    return type(f"{kind_key.title()}ChooserField", (ChooserField,), {
        "__init__": lambda self, *args, **kwargs: ChooserField.__init__(self, *args, kind=kind_key, **kwargs)})


def _organizations(principal):
    from .models import Organization

    return Organization.objects.visible_to(principal)


ORGANIZATIONS = ChooserKind(
    key="organizations",
    rows=_organizations,
    by_code=lambda qs, code: qs.filter(name__iexact=code).order_by("name", "pk"),
    search=lambda qs, text: qs.filter(name__icontains=text).order_by("name", "pk"),
    label=lambda organization: organization.name,
)


def suggestions(principal, kind_key: str, text: str) -> list[str]:
    """Up to ``SUGGESTIONS`` labels of the rows ``text`` finds among those the principal may choose."""
    chooser = kind(kind_key)
    text = (text or "").strip()[:MAX_TEXT]
    if not text:
        return []
    rows = chooser.rows(principal)
    code = code_of(text)
    exact = list(chooser.by_code(rows, code)[:1]) if code else []
    found = exact + [row for row in chooser.search(rows, code or text)[:SUGGESTIONS] if row not in exact]
    return [chooser.label(row) for row in found[:SUGGESTIONS]]


def choose_view(request, kind_key: str):
    """``/choose/<kind>/?field=<name>&<name>=<text>``: the suggestions of a chooser's box, as ``<option>``s."""
    field = request.GET.get("field", "q")
    labels = suggestions(request.principal, kind_key, request.GET.get(field, ""))
    return render(request, "core/widgets/chooser_options.html", {"labels": labels})
