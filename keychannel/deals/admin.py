import copy

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from keychannel.core.admin import ReadOnlyAdmin
from keychannel.core.scoping import Principal

from . import gate, services, signoff
from .choices import TestResult
from .models import (
    Activity,
    ContractNotice,
    CorporateContract,
    CorporateTier,
    Opportunity,
    PipelineMonthTotal,
    PipelineRollup,
    PipelineStageTotal,
    ProductTest,
    ProductTestSignoff,
    ServiceLevel,
    StageChange,
    StageSetting,
)


@admin.register(StageSetting)
class StageSettingAdmin(SimpleHistoryAdmin):
    list_display = ["stage", "probability", "guidance"]

    def save_model(self, request, obj, form, change):
        """Through the service, so the deals in that stage are re-weighted."""
        probability = obj.probability
        if change:
            obj.refresh_from_db(fields=["probability"])
            services.stage_setting_update(principal=Principal.for_user(request.user), setting=obj,
                                          probability=probability)
        else:
            super().save_model(request, obj, form, change)


class StageChangeInline(admin.TabularInline):
    model = StageChange
    extra = 0
    readonly_fields = ["from_stage", "to_stage", "changed_by", "changed_at", "note"]
    can_delete = False


class OpportunityAdminForm(forms.ModelForm):
    """The admin edits deals without the services, so the registration gate is checked here (docs/rules.md)."""

    GATED = {"client", "distributor", "value", "product_lines"}
    request = None  # set by OpportunityAdmin.get_form
    # Not named like the model field (non-editable there, which the admin's form factory refuses).
    gate_override_note = forms.CharField(
        label=_("Override the registration gate because"), required=False, max_length=500, widget=forms.Textarea,
        help_text=_("Only when the deal needs a registration it does not have: the reason is recorded on the deal."),
    )

    class Meta:
        model = Opportunity
        fields = ["title", "client", "distributor", "owner", "mentor", "kam", "product_lines", "value", "volume",
                  "lost_reason", "expected_close_on", "next_step", "next_step_on", "origin", "source_reference"]

    def clean(self):
        data = super().clean()
        if self.errors or not (self.GATED & set(self.changed_data)) or self.request is None:
            return data
        candidate = copy.copy(self.instance)
        for name in ("client", "distributor", "value", "title", "expected_close_on"):
            if name in data:
                setattr(candidate, name, data[name])
        try:
            gate.enforce(principal=Principal.for_user(self.request.user), opportunity=candidate, stage=candidate.stage,
                         product_lines=list(data.get("product_lines") or []),
                         override_reason=data.get("gate_override_note", ""))
        except ValidationError as exc:  # the service's field names are not this form's: one message on top
            raise ValidationError(exc.messages) from None
        self.gate_override = {name: getattr(candidate, name) for name in
                              ("gate_override_reason", "gate_override_rules", "gate_override_by", "gate_override_at")}
        return data


@admin.register(Opportunity)
class OpportunityAdmin(SimpleHistoryAdmin):
    form = OpportunityAdminForm

    list_display = ["title", "client", "distributor", "stage", "value", "probability", "expected_close_on", "owner"]
    list_filter = ["stage", "origin", "distributor"]
    search_fields = ["title", "client__legal_name"]
    autocomplete_fields = ["client", "distributor", "owner", "mentor", "kam"]
    filter_horizontal = ["product_lines"]
    readonly_fields = ["stage", "probability", "stage_entered_at", "closed_on", "contract", "gate_override_by",
                       "gate_override_at", "gate_override_rules", "test_override_reason", "test_override_by",
                       "test_override_at"]
    inlines = [StageChangeInline]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.request = request
        return form

    def save_model(self, request, obj, form, change):
        for name, value in (getattr(form, "gate_override", None) or {}).items():
            setattr(obj, name, value)
        super().save_model(request, obj, form, change)


@admin.register(Activity)
class ActivityAdmin(SimpleHistoryAdmin):
    list_display = ["subject", "kind", "occurred_on", "opportunity"]
    list_filter = ["kind"]
    search_fields = ["subject", "opportunity__title"]
    raw_id_fields = ["opportunity", "product_test"]
    filter_horizontal = ["stakeholders", "participants"]


class ProductTestAdminForm(forms.ModelForm):
    """The admin saves tests without the services: the sign-off rule (docs/rules.md) is checked here."""

    class Meta:
        model = ProductTest
        fields = ["opportunity", "title", "plan", "samples", "starts_on", "ends_on", "success_criteria",
                  "signoff_stakeholders", "result", "result_notes", "decided_on"]

    def clean(self):
        data = super().clean()
        if self.errors or data.get("result") != TestResult.PASSED:
            return data
        if self.instance.result == TestResult.PASSED and "signoff_stakeholders" not in self.changed_data:
            return data
        if not self.instance.pk:
            raise ValidationError(_("A new test starts pending: record its approvals on the deal page, then pass it."))
        blockers = signoff.pass_blockers(self.instance, signers=data.get("signoff_stakeholders") or [],
                                         owner_id=data["opportunity"].owner_id)
        if blockers:
            raise ValidationError(blockers)
        return data


class ProductTestSignoffInline(admin.TabularInline):
    """Read only: approvals are recorded on the deal page or through the API, where their rules are checked."""

    model = ProductTestSignoff
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "stakeholder", "signed_by", "note", "recorded_by", "recorded_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ProductTest)
class ProductTestAdmin(SimpleHistoryAdmin):
    form = ProductTestAdminForm
    list_display = ["title", "opportunity", "starts_on", "ends_on", "result"]
    list_filter = ["result"]
    search_fields = ["title", "opportunity__title"]
    raw_id_fields = ["opportunity"]
    filter_horizontal = ["signoff_stakeholders"]
    readonly_fields = ["legacy_signoff_note"]
    inlines = [ProductTestSignoffInline]


@admin.register(ProductTestSignoff)
class ProductTestSignoffAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    """Readable and auditable here; written only through ``keychannel.deals.signoff``."""

    list_display = ["product_test", "kind", "stakeholder", "signed_by", "recorded_by", "recorded_at"]
    list_filter = ["kind"]
    raw_id_fields = ["product_test", "stakeholder", "signed_by"]
    readonly_fields = ["product_test", "kind", "stakeholder", "signed_by", "note", "recorded_by", "recorded_at"]


class CorporateContractAdminForm(forms.ModelForm):
    """The admin saves contracts without the services: the tier-volume rule (docs/rules.md) is checked here."""

    VOLUME = {"tier", "value", "starts_on", "ends_on", "tier_exception_reason"}
    request = None  # set by CorporateContractAdmin.get_form

    class Meta:
        model = CorporateContract
        fields = ["client", "distributor", "owner", "starts_on", "ends_on", "renewal_on", "volume_commitment", "value",
                  "tier", "tier_exception_reason", "status", "notes"]

    def clean(self):
        data = super().clean()
        if self.errors or not (self.VOLUME & set(self.changed_data)) or self.request is None:
            return data
        candidate = copy.copy(self.instance)
        for name in ("tier", "value", "starts_on", "ends_on"):
            if data.get(name) is not None:
                setattr(candidate, name, data[name])
        reason = data.get("tier_exception_reason") if "tier_exception_reason" in self.changed_data else None
        try:
            services.check_tier_volume(Principal.for_user(self.request.user), candidate, exception_reason=reason)
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None
        self.tier_exception = {name: getattr(candidate, name) for name in
                               ("tier_exception_reason", "tier_exception_by", "tier_exception_at")}
        return data


@admin.register(CorporateContract)
class CorporateContractAdmin(SimpleHistoryAdmin):
    form = CorporateContractAdminForm
    list_display = ["client", "distributor", "starts_on", "ends_on", "tier", "status", "owner"]
    list_filter = ["status", "tier"]
    search_fields = ["client__legal_name"]
    autocomplete_fields = ["client", "distributor", "owner"]
    readonly_fields = ["tier_exception_by", "tier_exception_at"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.request = request
        return form

    def save_model(self, request, obj, form, change):
        for name, value in (getattr(form, "tier_exception", None) or {}).items():
            setattr(obj, name, value)
        super().save_model(request, obj, form, change)


class ServiceLevelInline(admin.TabularInline):
    model = ServiceLevel
    extra = 0


@admin.register(CorporateTier)
class CorporateTierAdmin(SimpleHistoryAdmin):
    list_display = ["name", "code", "min_annual_volume", "discount_percent", "active"]
    search_fields = ["name", "code"]
    inlines = [ServiceLevelInline]


@admin.register(ContractNotice)
class ContractNoticeAdmin(SimpleHistoryAdmin):
    list_display = ["contract", "sent_on", "recipient"]
    raw_id_fields = ["contract"]


@admin.register(PipelineRollup)
class PipelineRollupAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Read only: derived from the deals (deals/rollups.py); ``manage.py rollups_rebuild`` recounts it."""

    list_display = ["distributor", "stage", "currency", "deal_count", "amount", "weighted"]
    list_filter = ["stage", "currency"]
    raw_id_fields = ["distributor"]


@admin.register(PipelineStageTotal)
class PipelineStageTotalAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Read only: derived from the deals (deals/stage_totals.py); ``manage.py rollups_rebuild`` recounts it."""

    list_display = ["stage", "currency", "shard", "deal_count", "amount", "weighted"]
    list_filter = ["stage", "currency"]


@admin.register(PipelineMonthTotal)
class PipelineMonthTotalAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Read only: derived from the deals (deals/month_totals.py); ``manage.py rollups_rebuild`` recounts it."""

    list_display = ["stage", "month", "reason", "shard", "deal_count", "amount", "weighted"]
    list_filter = ["stage", "reason"]
