"""Defaults every installation starts with: the playbooks (one per alignment quadrant, plus the sole-channel
variant of 'neither') and version 1 of the readiness questionnaire (the seed article's problems).

Data migrations, the demo and tests call the ``ensure_*`` functions with the model classes they hold
(historical models in migrations); the program manager edits the stored copies.
"""

# The playbook texts live in playbook_defaults (a committed migration imports them from there).
from .playbook_defaults import DEFAULT_PLAYBOOKS  # noqa: E402

READINESS_V1 = {
    "version": 1,
    "title": "Key-account readiness",
    "introduction": "Answer each statement from 0 (not at all) to 4 (fully).",
    "questions": [
        ("need", "The owners are convinced the company needs key-account competence.",
         "0: not discussed · 4: a stated priority of the owners"),
        ("middle-managers", "Middle managers are involved in the key-account work.",
         "0: left to the owner · 4: middle managers lead it"),
        ("negotiation", "Staff can negotiate with the top management of large organisations.",
         "0: nobody has done it · 4: several people do it routinely"),
        ("financial-commitment", "The distributor commits money of its own to the program.",
         "0: none · 4: a budget for people, travel and tests"),
        ("dedicated-people", "People are dedicated to large clients.",
         "0: nobody · 4: a named key-account team"),
        ("crm", "The sales team uses the CRM for its clients and deals.",
         "0: not at all · 4: every client, contact and deal is in it"),
    ],
}


def ensure_default_playbooks(Playbook):  # noqa: N803  (a model class, historical in migrations)
    for item in DEFAULT_PLAYBOOKS:
        Playbook.objects.get_or_create(
            quadrant=item["quadrant"],
            sole_channel=item["sole_channel"],
            defaults={"title": item["title"], "approach": item["approach"], "actions": item["actions"]},
        )


def ensure_readiness_v1(Questionnaire, Question):  # noqa: N803
    questionnaire, _ = Questionnaire.objects.get_or_create(
        version=READINESS_V1["version"],
        defaults={"title": READINESS_V1["title"], "introduction": READINESS_V1["introduction"], "active": True},
    )
    for position, (code, text, help_text) in enumerate(READINESS_V1["questions"], start=1):
        Question.objects.get_or_create(
            questionnaire=questionnaire, code=code, defaults={"position": position, "text": text, "help_text": help_text}
        )
    return questionnaire


def ensure_defaults():
    """For the running app (tests, demo): the same defaults with the real models."""
    from .models import Playbook, ReadinessQuestion, ReadinessQuestionnaire

    ensure_default_playbooks(Playbook)
    ensure_readiness_v1(ReadinessQuestionnaire, ReadinessQuestion)
