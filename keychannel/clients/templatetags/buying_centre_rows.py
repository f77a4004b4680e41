"""``{% stakeholder_row s %}``: a row of the client page's buying centre, drawn in Python (clients/buying_centre.py)."""

from django import template

from keychannel.clients.buying_centre import stakeholder_row_html

register = template.Library()


@register.simple_tag(takes_context=True)
def stakeholder_row(context, stakeholder):
    return stakeholder_row_html(stakeholder, context)
