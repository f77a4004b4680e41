"""Earlier sign-offs were a list of names, not approvals (issue 15, part 5). Keep what the test said as a legacy
note; a test marked passed on a deal not yet won goes back to pending, so its approvals are recorded before the
deal can be won. A test that already led to a contract keeps its result: that record is closed."""

from django.db import migrations


def forwards(apps, schema_editor):
    ProductTest = apps.get_model("deals", "ProductTest")
    for test in ProductTest.objects.exclude(result="pending").prefetch_related("signoff_stakeholders").iterator(
            chunk_size=500):
        names = ", ".join(s.full_name for s in test.signoff_stakeholders.all()) or "nobody named"
        note = (f"Marked {test.result} on {test.decided_on or 'an unknown date'} before approvals were recorded; "
                f"named for sign-off: {names}.")
        fields = {"legacy_signoff_note": note}
        if test.result == "passed" and test.contract_id is None:
            fields.update(result="pending", decided_on=None)
            fields["legacy_signoff_note"] = note + " Set back to pending: record the approvals to pass it."
        ProductTest.objects.filter(pk=test.pk).update(**fields)


class Migration(migrations.Migration):
    dependencies = [("deals", "0006_product_test_signoff"), ("clients", "__first__")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
