"""``{% board_cards cards %}``: a kanban column's cards, built in Python (deals/cards.py)."""

from django import template

from keychannel.deals.cards import cards_html

register = template.Library()


@register.simple_tag
def board_cards(cards):
    return cards_html(cards)
