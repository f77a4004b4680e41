from decimal import Decimal

from django import template
from django.utils.html import format_html

from keychannel.core.tables import resolve
from keychannel.core.templatetags.kc_format import format_number, yesno_label

register = template.Library()


@register.filter
def cell(obj, path: str):
    """Resolve a dotted attribute path on a row, calling callables on the way (get_x_display, methods)."""
    value = resolve(obj, path)
    # A page never shows True/False or an ungrouped amount: yes/no and numbers in the active language.
    if isinstance(value, bool):
        return yesno_label(value)
    if isinstance(value, (Decimal, float)):
        return format_number(value)
    return "" if value is None else value


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
