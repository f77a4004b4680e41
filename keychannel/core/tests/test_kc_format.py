"""kc_format: money, numbers, percentages and yes/no in the active language; dates in one style per language."""

import datetime
from decimal import Decimal

from django.template import Context, Template
from django.utils import translation


def render(source: str, lang: str, **context) -> str:
    with translation.override(lang):
        return Template(source).render(Context(context))


def test_money_groups_and_signs_per_language():
    assert render("{{ v|money }}", "en", v=Decimal("2205000")) == "2,205,000.00 RON"
    assert render("{{ v|money }}", "ro", v=Decimal("2205000")) == "2.205.000,00 RON"
    assert render("{{ v|money }}", "ru", v=Decimal("2205000")) == "2\xa0205\xa0000,00 RON"
    assert render("{{ v|money:0 }}", "ro", v=1234567.4) == "1.234.567 RON"
    assert render("{{ v|money }}", "ro", v=None) == "—"


def test_number_percent_and_yes_no():
    assert render("{{ v|number }}", "ro", v=Decimal("12000.50")) == "12.000,5"
    assert render("{{ v|number }}", "en", v=3) == "3"
    assert render("{{ v|percent:1 }}", "en", v=12.5) == "12.5%"
    assert render("{{ v|percent }}", "ro", v=40) == "40\xa0%"
    assert render("{{ v|yesno_label }}", "ro", v=True) == "Da"
    assert render("{{ v|yesno_label }}", "en", v=False) == "No"
    assert render("{{ v|yesno_label }}", "en", v=None) == "—"


def test_dates_have_one_style_per_language_and_never_month_first():
    day = datetime.date(2026, 7, 9)
    assert render('{{ d|date:"SHORT_DATE_FORMAT" }}', "en", d=day) == "9 Jul 2026"
    assert render('{{ d|date:"SHORT_DATE_FORMAT" }}', "ro", d=day) == "09.07.2026"
    assert render("{{ d }}", "ro", d=day) == "09.07.2026"
    assert render("{{ d }}", "en", d=day) == "9 Jul 2026"


def test_table_cells_never_show_true_or_false():
    class Row:
        flag = True
        amount = Decimal("1500.00")

    assert render("{% load keychannel %}{{ row|cell:'flag' }} {{ row|cell:'amount' }}", "en", row=Row()) == "Yes 1,500"


def test_the_quick_grouping_writes_what_number_format_writes():
    """format_number groups by threes itself (number_format looked up three formats per number, issue 22): the
    same text for every language, sign, size and number of decimals."""
    import random

    from django.utils.formats import number_format

    from keychannel.core.templatetags.kc_format import format_number

    rng = random.Random(22)
    values = [Decimal(0), Decimal("-0.004"), Decimal("0.5"), Decimal("-1234567.891"), Decimal("999.995"),
              Decimal("1E+12"), Decimal("12345678901234567890.5"), 7, -3.25, 1234.5]
    values += [Decimal(rng.randint(-10**rng.randint(1, 15), 10**rng.randint(1, 15))).scaleb(-rng.randint(0, 4))
               for _ in range(300)]
    for lang in ("en", "ro", "ru"):
        with translation.override(lang):
            for value in values:
                for decimals in (0, 1, 2, 3):  # (None's choice of 0, 1 or 2 decimals is checked above)
                    number = Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals))
                    expected = number_format(number, decimal_pos=decimals, use_l10n=True, force_grouping=True)
                    assert format_number(value, decimals) == expected, (lang, value, decimals)
