"""Contracts' tier codes become links to tier rows (the column keeps the code; 0008 made a row for each code)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("deals", "0008_corporate_tiers"),
    ]

    operations = [
        migrations.AlterField(
            model_name='corporatecontract',
            name='tier',
            field=models.ForeignKey(db_column='tier', default='standard', on_delete=django.db.models.deletion.PROTECT, related_name='contracts', to='deals.corporatetier', to_field='code', verbose_name='corporate program tier'),
        ),
        migrations.AlterField(
            model_name='historicalcorporatecontract',
            name='tier',
            field=models.ForeignKey(blank=True, db_column='tier', db_constraint=False, default='standard', null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='deals.corporatetier', to_field='code', verbose_name='corporate program tier'),
        ),
    ]
