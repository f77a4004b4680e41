"""Test data for the sales app: the clients and product codes of the shared sample files, and small reports."""

from pathlib import Path

from keychannel.clients.models import CorporateClient
from keychannel.network.tests.factories import ProductLineFactory
from keychannel.sales import parsing
from keychannel.sales.models import ProductMapping

DATA = Path(__file__).parent / "data"
SAMPLES = {
    "cp1250": "sell-out_2026-10_cp1250_semicolon.csv",
    "utf8bom": "sell-out_2026-09_utf8bom_comma.csv",
    "xlsx": "sell-out_2026-08_title-row.xlsx",
    "bad": "sell-out_2026-10_three-bad-rows.csv",
}
PRODUCT_CODES = ["SNS-12", "CTL-7", "FLT-3", "VLV-25", "PMP-100"]


def sample(name: str) -> bytes:
    return (DATA / SAMPLES[name]).read_bytes()


def sample_clients() -> dict[str, str]:
    """tax id → client name, over the three good samples."""
    out = {}
    for name in ("cp1250", "utf8bom", "xlsx"):
        table = parsing.read_table(sample(name), SAMPLES[name])
        mapping = parsing.suggest_mapping(table.headers)
        tax, client = table.headers.index(mapping["tax_id"]), table.headers.index(mapping["client_name"])
        for _row, cells in table.rows:
            out.setdefault(parsing.normalize_tax_id(cells[tax]), str(cells[client]))
    return out


def map_samples(distributor, *, product_line=None, skip_tax_ids=(), potential=0, key_accounts=()):
    """Create the sample files' clients for ``distributor`` and map its product codes; returns tax id → client."""
    line = product_line or ProductLineFactory()
    for code in PRODUCT_CODES:
        ProductMapping.objects.get_or_create(distributor=distributor, product_code=code, defaults={"product_line": line})
    clients = {}
    for tax_id, name in sample_clients().items():
        if tax_id in skip_tax_ids:
            continue
        clients[tax_id] = CorporateClient.objects.create(
            legal_name=name, tax_id=tax_id, distributor=distributor, potential_annual_volume=potential,
            is_key_account=tax_id in key_accounts, status="active",
        )
    return clients


def csv_file(rows, header=("Data factură", "CUI client", "Denumire client", "Cod produs", "Cantitate",
                           "Valoare fără TVA (RON)")) -> bytes:
    """A small UTF-8 CSV with ``;``; rows are tuples in the header's order."""
    lines = [";".join(header)] + [";".join(str(c) for c in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")
