"""A lost deal says why from a list (deals.choices.LostReason); the free text stays as its details. Deals lost
before the list existed are filed under "other", with their text kept."""

from django.conf import settings
from django.db import migrations, models


def lost_deals_to_other(apps, schema_editor):
    Opportunity = apps.get_model("deals", "Opportunity")
    Opportunity.objects.filter(stage="lost", lost_reason_code="").update(lost_reason_code="other")


class Migration(migrations.Migration):

    dependencies = [
        ('clients', '0007_account_item_result'),
        ('deals', '0011_search_trigram'),
        ('network', '0007_coverage_requests'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='opportunity',
            name='deals_opportunity_lost_has_reason',
        ),
        migrations.AddField(
            model_name='historicalopportunity',
            name='lost_reason_code',
            field=models.CharField(blank=True, choices=[('price', 'Price'), ('competitor', 'Went with a competitor'), ('incumbent', 'Kept the current supplier'), ('budget', 'No budget'), ('technical', 'Did not meet the technical requirements'), ('timing', 'Project postponed or cancelled'), ('other', 'Other')], max_length=20, verbose_name='why lost'),
        ),
        migrations.AddField(
            model_name='opportunity',
            name='lost_reason_code',
            field=models.CharField(blank=True, choices=[('price', 'Price'), ('competitor', 'Went with a competitor'), ('incumbent', 'Kept the current supplier'), ('budget', 'No budget'), ('technical', 'Did not meet the technical requirements'), ('timing', 'Project postponed or cancelled'), ('other', 'Other')], max_length=20, verbose_name='why lost'),
        ),
        migrations.RunPython(lost_deals_to_other, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='opportunity',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('stage', 'lost'), _negated=True), models.Q(('lost_reason_code', ''), _negated=True), _connector='OR'), name='deals_opportunity_lost_has_reason_code'),
        ),
    ]
