"""Forms of the competence app: shape and choices only; the rules live in services.py."""

from django import forms
from django.utils.translation import gettext_lazy as _

from keychannel.core.choosers import ChooserField
from keychannel.core.forms import StyledFormMixin

from .choices import KAM_STATUSES, KamDuty, TaskPriority, TaskStatus

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.get_username()


class KamTaskForm(StyledFormMixin, forms.Form):
    distributor = ChooserField(kind="distributors", label=_("Distributor"), queryset=None)
    kam = UserChoiceField(label=_("Key-account manager"), queryset=None,
                          help_text=_("Must be stationed at the distributor."))
    duty = forms.ChoiceField(label=_("Duty it serves"), choices=KamDuty.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    priority = forms.TypedChoiceField(label=_("Priority"), choices=TaskPriority.choices, coerce=int,
                                      initial=TaskPriority.NORMAL)
    due_on = forms.DateField(label=_("Due"), required=False, widget=DATE)
    client = ChooserField(kind="clients", label=_("Client"), queryset=None, required=False)

    def __init__(self, *args, distributors, kams, clients, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["distributor"].queryset = distributors
        self.fields["kam"].queryset = kams
        self.fields["client"].queryset = clients


class KamTaskUpdateForm(StyledFormMixin, forms.Form):
    kam = UserChoiceField(label=_("Key-account manager"), queryset=None)
    duty = forms.ChoiceField(label=_("Duty it serves"), choices=KamDuty.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    priority = forms.TypedChoiceField(label=_("Priority"), choices=TaskPriority.choices, coerce=int)
    due_on = forms.DateField(label=_("Due"), required=False, widget=DATE)

    def __init__(self, *args, kams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kam"].queryset = kams


class KamTaskStatusForm(StyledFormMixin, forms.Form):
    status = forms.ChoiceField(label=_("Status"),
                               choices=[(s.value, s.label) for s in TaskStatus if s in KAM_STATUSES])
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CommentForm(StyledFormMixin, forms.Form):
    body = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}))


class CancelForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=250, required=False)


class KamTaskImportForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("Columns: distributor (code), kam (username), duty, title, priority (1–4), due (YYYY-MM-DD), "
                    "description. The file is applied whole or not at all."),
    )


class MentorshipForm(StyledFormMixin, forms.Form):
    mentor = UserChoiceField(label=_("Mentor"), queryset=None)
    distributor = ChooserField(kind="distributors", label=_("Distributor"), queryset=None)
    client = ChooserField(kind="clients", label=_("Only this client"), queryset=None, required=False,
                                    help_text=_("Leave empty to mentor the whole distributor."))
    opportunity = ChooserField(kind="deals", label=_("Only this deal"), queryset=None, required=False,
                                         help_text=_("The mentor coaches one deal (and becomes its mentor)."))
    starts_on = forms.DateField(label=_("Starts on"), widget=DATE)
    ends_on = forms.DateField(label=_("Ends on"), required=False, widget=DATE)
    focus = forms.CharField(label=_("Focus"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, mentors, distributors, clients, deals, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mentor"].queryset = mentors
        self.fields["distributor"].queryset = distributors
        self.fields["client"].queryset = clients
        self.fields["opportunity"].queryset = deals


class SessionForm(StyledFormMixin, forms.Form):
    held_on = forms.DateField(label=_("Date"), widget=DATE)
    participants = forms.CharField(label=_("People"), widget=forms.Textarea(attrs={"rows": 2}))
    topic = forms.CharField(label=_("Topic"), max_length=200)
    outcome = forms.CharField(label=_("Outcome"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    next_step = forms.CharField(label=_("Next step"), max_length=250, required=False)
    next_step_due = forms.DateField(label=_("Next step due"), required=False, widget=DATE)


class ConsultationForm(StyledFormMixin, forms.Form):
    recipient = UserChoiceField(label=_("Ask"), queryset=None,
                                help_text=_("The KAM stationed at your company or your mentor."))
    client = ChooserField(kind="clients", label=_("Client"), queryset=None, required=False)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    message = forms.CharField(label=_("What help do you need?"), widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, recipients, clients, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recipient"].queryset = recipients
        self.fields["client"].queryset = clients


class ConsultationAnswerForm(StyledFormMixin, forms.Form):
    response = forms.CharField(label=_("Answer"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ConsultationConvertForm(StyledFormMixin, forms.Form):
    kam = UserChoiceField(label=_("Key-account manager"), queryset=None)
    duty = forms.ChoiceField(label=_("Duty it serves"), choices=KamDuty.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    priority = forms.TypedChoiceField(label=_("Priority"), choices=TaskPriority.choices, coerce=int,
                                      initial=TaskPriority.NORMAL)
    due_on = forms.DateField(label=_("Due"), required=False, widget=DATE)

    def __init__(self, *args, kams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kam"].queryset = kams
