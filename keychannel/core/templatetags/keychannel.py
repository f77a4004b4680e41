from django import template
from django.utils.html import format_html

from keychannel.core import tables

register = template.Library()


@register.filter
def cell(obj, path: str):
    """Resolve a dotted attribute path on a row, calling callables on the way (get_x_display, methods); a page
    never shows True/False or an ungrouped amount (``tables.cell``)."""
    return tables.cell(obj, path)


@register.simple_tag(takes_context=True)
def page_query(context, page_number):
    params = context["request"].GET.copy()
    params["page"] = page_number
    return params.urlencode()


@register.simple_tag
def yes_no(value):
    icon = "check-circle-fill text-success" if value else "dash-circle text-secondary"
    return format_html('<i class="bi bi-{}"></i>', icon)


@register.simple_tag
def crumb_url(target):
    """Breadcrumb targets are URL names ("network:distributor_list") or ready URLs."""
    from django.urls import NoReverseMatch, reverse

    if not target or "/" in str(target):
        return target or ""
    try:
        return reverse(target)
    except NoReverseMatch:
        return ""


@register.simple_tag
def page_panels(page, pk):
    """Placeholders for the panels other apps register for this page (core.navigation.register_panel)."""
    from django.utils.html import format_html, format_html_join

    from keychannel.core.navigation import panel_urls

    return format_html_join("", '<div hx-get="{}" hx-trigger="load" hx-swap="outerHTML" class="kc-panel">{}</div>',
                            ((url, "") for url in panel_urls(page, pk))) or format_html("")


@register.simple_tag
def select_options(choices, selected="", key=None):
    """A select's ``<option>``s with ``selected`` chosen (or ``selected[key]``, for a dict of a form's values),
    built in one join (``tables.select_options``): a template loop costs several nodes per option."""
    if key is not None:
        selected = selected.get(key, "")
    return tables.select_options(choices, "" if selected is None else selected)
