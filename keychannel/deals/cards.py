"""The kanban's cards as HTML, built in Python: the markup ``deals/includes/card.html`` drew through a template
include per card (issue 22: seventy includes, with their context pushes and a dozen lookups each, were most of the
kanban's time). The same markup, escaped the same way; the two deal URLs and the fixed words are read once per
request.

Every value is a plain ``str`` (names, codes, formatted numbers and dates, never safe HTML), so it is escaped with
the standard library's ``html.escape``, the function Django's ``escape`` calls: the same five characters, without
Django's lazy-string wrapper around each of the dozen calls per card (half of a card's time, issue 22)."""

from html import escape

from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import truncatechars
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from keychannel.core.tables import pk_url
from keychannel.core.templatetags.kc_format import format_money

from .choices import Attention


def card_html(card, *, detail_url=None, move_url=None, texts=None, today=None) -> str:
    """One card (the deal's title, client, distributor, value, owner, next step, Move button, attention flags);
    ``card.movable`` says whether the user may move it."""
    detail_url = detail_url or pk_url("deals:opportunity_detail")
    move_url = move_url or pk_url("deals:opportunity_move")
    texts = texts or card_texts()
    pk = card.pk
    title = escape(card.title)
    movable = getattr(card, "movable", False)
    if movable:
        opening = (f'<div class="card kc-card mb-2 shadow-sm" id="card-{pk}" data-id="{pk}" '
                   f'data-move-url="{escape(move_url(pk))}">')
    else:
        opening = f'<div class="card kc-card mb-2 shadow-sm kc-locked" id="card-{pk}" data-id="{pk}" title="{texts["locked"]}">'
    owner = card.owner
    owner_name = (owner.get_full_name() or owner.username) if owner is not None else ""
    client_name = card.client.legal_name if card.client_id else ""
    parts = [
        opening, '\n  <div class="card-body p-2 small">\n',
        f'    <a class="fw-semibold text-decoration-none d-block" href="{escape(detail_url(pk))}">{title}</a>\n',
        f'    <div class="text-secondary">{escape(client_name)} · {escape(card.distributor_display())}</div>\n',
        '    <div class="d-flex justify-content-between mt-1">\n',
        f'      <span>{escape(format_money(card.value, 0))}</span>\n',
        f'      <span class="text-secondary">{escape(owner_name)}</span>\n',
        '    </div>\n    ',
    ]
    if card.next_step:
        when = f" · {escape(date_filter(card.next_step_on, 'SHORT_DATE_FORMAT'))}" if card.next_step_on else ""
        parts.append(f'<div class="text-secondary">{texts["next"]}: {escape(truncatechars(card.next_step, 40))}{when}</div>')
    parts.append("\n    ")
    if movable:
        parts.append(
            f'<button type="button" class="btn btn-sm btn-outline-secondary py-0 px-1 mt-1 kc-move" '
            f'data-title="{title}" data-stage="{escape(card.stage)}"><i class="bi bi-arrow-left-right" '
            f'aria-hidden="true"></i> {texts["move"]}<span class="visually-hidden"> “{title}”</span></button>')
    parts.append("\n    ")
    for flag in card.attention(today):
        label = texts["overdue"] if flag == Attention.OVERDUE else texts["no_next_step"]
        parts.append(f'<span class="badge text-bg-warning mt-1 kc-flag-{escape(flag)}">{label}</span>')
    parts.append("\n  </div>\n</div>\n")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


def card_texts() -> dict:
    """The cards' fixed words in the active language (escaped), read once per request."""
    return {"locked": escape(gettext("You may not move this deal.")), "next": escape(gettext("Next")),
            "move": escape(gettext("Move")), "overdue": escape(gettext("Next step overdue")),
            "no_next_step": escape(gettext("No next step"))}


def cards_html(cards) -> str:
    """Every card of a column (or of a column's next page), in order."""
    detail_url, move_url, texts = pk_url("deals:opportunity_detail"), pk_url("deals:opportunity_move"), card_texts()
    today = timezone.localdate()
    return mark_safe("".join(card_html(card, detail_url=detail_url, move_url=move_url, texts=texts,  # noqa: S308
                                       today=today) for card in cards))
