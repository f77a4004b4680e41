"""Recompute the duplicate-check keys after common words stopped being used as keys (matching.name_keys)."""

from django.db import migrations


def recompute(apps, schema_editor):
    from keychannel.clients.matching import name_keys, normalize_company_name

    CorporateClient = apps.get_model("clients", "CorporateClient")
    batch = []
    for client in CorporateClient.objects.only("pk", "legal_name").iterator(chunk_size=2000):
        client.normalized_name = normalize_company_name(client.legal_name)[:200]
        client.name_key, client.name_key2 = name_keys(client.normalized_name)
        batch.append(client)
        if len(batch) >= 2000:
            CorporateClient.objects.bulk_update(batch, ["normalized_name", "name_key", "name_key2"])
            batch = []
    if batch:
        CorporateClient.objects.bulk_update(batch, ["normalized_name", "name_key", "name_key2"])


class Migration(migrations.Migration):
    dependencies = [("clients", "0001_initial")]

    operations = [migrations.RunPython(recompute, migrations.RunPython.noop)]
