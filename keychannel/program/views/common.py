"""What the program's pages share: their breadcrumbs and the chart's series names."""

from django.utils.translation import gettext as _


def _chart_names():
    return {"actual": _("Actual"), "to_date": _("Target to date"), "target": _("Target")}


def _crumbs(program=None, *rest):
    out = [(_("Programs"), "program:program_list")]
    if program is not None:
        out.append((program.name, program.get_absolute_url()))
    return out + list(rest)
