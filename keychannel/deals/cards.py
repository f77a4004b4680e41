"""The kanban's cards as HTML, built in Python: the markup ``deals/includes/card.html`` drew through a template
include per card (issue 22: seventy includes, with their context pushes and a dozen lookups each, were most of the
kanban's time). The same markup, escaped the same way; the two deal URLs and the fixed words are read once per
request.

Every value is a plain ``str`` (names, codes, formatted numbers and dates, never safe HTML), so it is escaped with
the standard library's ``html.escape``, the function Django's ``escape`` calls: the same five characters, without
Django's lazy-string wrapper around each of the dozen calls per card (half of a card's time, issue 22)."""

import unicodedata
from html import escape

from django.template.defaultfilters import truncatechars
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from keychannel.core.tables import pk_url
from keychannel.core.templatetags.kc_format import format_date, format_money

from .choices import Attention, attention_flags

# What a card shows and what the change rule asks (deals.policies.can_change_opportunity: the distributor, mentor,
# KAM and owner ids), read as plain rows: ``Card(*row)`` takes them in this order.
CARD_FIELDS = (
    "id", "title", "stage", "value", "next_step", "next_step_on", "updated_at", "client_id", "distributor_id",
    "owner_id", "mentor_id", "kam_id", "client__legal_name", "distributor__code", "owner__username",
    "owner__first_name", "owner__last_name",
)


class Card:
    """One kanban card as a row (``CARD_FIELDS``), not a deal with its client, distributor and owner objects: the
    ~70 model instances with three related objects each were a third of the kanban's Python (issue 22). It answers
    what the card markup, the attention flags and the change rule ask, under the names a deal answers them."""

    __slots__ = ("pk", "title", "stage", "value", "next_step", "next_step_on", "updated_at", "client_id",
                 "distributor_id", "owner_id", "mentor_id", "kam_id", "client_name", "distributor_code", "owner_name",
                 "movable")

    def __init__(self, pk, title, stage, value, next_step, next_step_on, updated_at, client_id, distributor_id,
                 owner_id, mentor_id, kam_id, client_name, distributor_code, username, first_name, last_name):
        self.pk, self.title, self.stage, self.value = pk, title, stage, value
        self.next_step, self.next_step_on, self.updated_at = next_step, next_step_on, updated_at
        self.client_id, self.distributor_id = client_id, distributor_id
        self.owner_id, self.mentor_id, self.kam_id = owner_id, mentor_id, kam_id
        self.client_name, self.distributor_code = client_name or "", distributor_code
        # User.get_full_name(), else the username (no owner: nothing)
        self.owner_name = (f"{first_name} {last_name}".strip() or username) if owner_id is not None else ""
        self.movable = False

    @classmethod
    def of(cls, deal):
        """The card of a deal already read as a model (the move answer redraws the moved card)."""
        owner = deal.owner if deal.owner_id is not None else None
        return cls(deal.pk, deal.title, deal.stage, deal.value, deal.next_step, deal.next_step_on, deal.updated_at,
                   deal.client_id, deal.distributor_id, deal.owner_id, deal.mentor_id, deal.kam_id,
                   deal.client.legal_name if deal.client_id else "",
                   deal.distributor.code if deal.distributor_id else None,
                   *((owner.username, owner.first_name, owner.last_name) if owner is not None else ("", "", "")))

    def attention(self, today=None) -> list[str]:
        return attention_flags(self.stage, self.next_step, self.next_step_on, today)

    def distributor_display(self) -> str:
        return self.distributor_code if self.distributor_id else gettext("direct")


def card_html(card, *, detail_url=None, move_url=None, texts=None, today=None) -> str:
    """One card (the deal's title, client, distributor, value, owner, next step, Move button, attention flags) of a
    ``Card``; ``card.movable`` says whether the user may move it."""
    detail_url = detail_url or pk_url("deals:opportunity_detail")
    move_url = move_url or pk_url("deals:opportunity_move")
    texts = texts or card_texts()
    pk = card.pk
    title = escape(card.title)
    movable = card.movable
    if movable:
        opening = (f'<div class="card kc-card mb-2 shadow-sm" id="card-{pk}" data-id="{pk}" '
                   f'data-move-url="{escape(move_url(pk))}">')
    else:
        opening = f'<div class="card kc-card mb-2 shadow-sm kc-locked" id="card-{pk}" data-id="{pk}" title="{texts["locked"]}">'
    parts = [
        opening, '\n  <div class="card-body p-2 small">\n',
        f'    <a class="fw-semibold text-decoration-none d-block" href="{escape(detail_url(pk))}">{title}</a>\n',
        f'    <div class="text-secondary">{escape(card.client_name)} · {escape(card.distributor_display())}</div>\n',
        '    <div class="d-flex justify-content-between mt-1">\n',
        f'      <span>{escape(format_money(card.value, 0))}</span>\n',
        f'      <span class="text-secondary">{escape(card.owner_name)}</span>\n',
        '    </div>\n    ',
    ]
    if card.next_step:
        when = f" · {escape(format_date(card.next_step_on, 'SHORT_DATE_FORMAT'))}" if card.next_step_on else ""
        parts.append(f'<div class="text-secondary">{texts["next"]}: {escape(_step_text(card.next_step))}{when}</div>')
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


def _step_text(text: str, length: int = 40) -> str:
    """``truncatechars(text, 40)``: a text of at most 40 characters once composed (NFC) is that text, which
    ``Truncator`` finds by a call per character (issue 22); a longer one goes through ``truncatechars``."""
    composed = unicodedata.normalize("NFC", text)
    return composed if len(composed) <= length else truncatechars(text, length)


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
