"""The kanban's cards as HTML, built in Python: the markup ``deals/includes/card.html`` drew through a template
include per card (issue 22: seventy includes, with their context pushes and a dozen lookups each, were most of the
kanban's time). The same markup, escaped the same way; the two deal URLs are reversed once per request."""

from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import truncatechars
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from keychannel.core.tables import pk_url
from keychannel.core.templatetags.kc_format import format_money

from .choices import Attention


def card_html(card, *, detail_url=None, move_url=None, texts=None) -> str:
    """One card (the deal's title, client, distributor, value, owner, next step, Move button, attention flags);
    ``card.movable`` says whether the user may move it."""
    detail_url = detail_url or pk_url("deals:opportunity_detail")
    move_url = move_url or pk_url("deals:opportunity_move")
    texts = texts or card_texts()
    e = conditional_escape
    movable = getattr(card, "movable", False)
    if movable:
        opening = format_html('<div class="card kc-card mb-2 shadow-sm" id="card-{}" data-id="{}" data-move-url="{}">',
                              card.pk, card.pk, move_url(card.pk))
    else:
        opening = format_html('<div class="card kc-card mb-2 shadow-sm kc-locked" id="card-{}" data-id="{}" title="{}">',
                              card.pk, card.pk, texts["locked"])
    owner = card.owner
    owner_name = (owner.get_full_name() or owner.username) if owner is not None else ""
    client_name = card.client.legal_name if card.client_id else ""
    parts = [
        opening, '\n  <div class="card-body p-2 small">\n',
        f'    <a class="fw-semibold text-decoration-none d-block" href="{e(detail_url(card.pk))}">{e(card.title)}</a>\n',
        f'    <div class="text-secondary">{e(client_name)} · {e(card.distributor_display())}</div>\n',
        '    <div class="d-flex justify-content-between mt-1">\n',
        f'      <span>{e(format_money(card.value, 0))}</span>\n',
        f'      <span class="text-secondary">{e(owner_name)}</span>\n',
        '    </div>\n    ',
    ]
    if card.next_step:
        when = f" · {e(date_filter(card.next_step_on, 'SHORT_DATE_FORMAT'))}" if card.next_step_on else ""
        parts.append(f'<div class="text-secondary">{texts["next"]}: {e(truncatechars(card.next_step, 40))}{when}</div>')
    parts.append("\n    ")
    if movable:
        parts.append(
            f'<button type="button" class="btn btn-sm btn-outline-secondary py-0 px-1 mt-1 kc-move" '
            f'data-title="{e(card.title)}" data-stage="{e(card.stage)}"><i class="bi bi-arrow-left-right" '
            f'aria-hidden="true"></i> {texts["move"]}<span class="visually-hidden"> “{e(card.title)}”</span></button>')
    parts.append("\n    ")
    for flag in card.attention():
        label = texts["overdue"] if flag == Attention.OVERDUE else texts["no_next_step"]
        parts.append(f'<span class="badge text-bg-warning mt-1 kc-flag-{e(flag)}">{label}</span>')
    parts.append("\n  </div>\n</div>\n")
    return mark_safe("".join(str(part) for part in parts))  # noqa: S308 - every value above is escaped


def card_texts() -> dict:
    """The cards' fixed words in the active language (escaped), read once per request."""
    e = conditional_escape
    return {"locked": gettext("You may not move this deal."), "next": e(gettext("Next")), "move": e(gettext("Move")),
            "overdue": e(gettext("Next step overdue")), "no_next_step": e(gettext("No next step"))}


def cards_html(cards) -> str:
    """Every card of a column (or of a column's next page), in order."""
    detail_url, move_url, texts = pk_url("deals:opportunity_detail"), pk_url("deals:opportunity_move"), card_texts()
    return mark_safe("".join(card_html(card, detail_url=detail_url, move_url=move_url, texts=texts)  # noqa: S308
                             for card in cards))
