"""Issue 18.7: each sample file in ../shared/samples/ imports as a distributor head in under five actions, on a
fresh database whose book knows none of the file's clients or product codes. Before, each file showed 300–480 row
problems fixed one row at a time (one form per client and per code). Every click, file choice and selection the
user makes is counted; the last page shows the report applied."""

import pytest

from keychannel.clients.models import CorporateClient
from keychannel.network.tests.factories import ProductLineFactory
from keychannel.sales.models import ProductMapping, SalesReport
from keychannel.sales.tests.factories import SAMPLES, sample

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("name", ["cp1250", "utf8bom", "xlsx"])
def test_a_sample_file_imports_in_under_five_actions(name, world, page, live_server, sign_in, screenshot, tmp_path):
    page.set_default_timeout(60_000)  # a loaded CI machine: the limits here are of clicks, not of seconds
    # A second line in the agreement: the user has to say which line the codes belong to (one choice for all).
    valves = ProductLineFactory(name="Valves and sensors", code="valves")
    world.own.product_lines.add(valves)
    path = tmp_path / SAMPLES[name]
    path.write_bytes(sample(name))
    sign_in("w-da-head")
    page.goto(f"{live_server.url}/sales/reports/upload/")
    actions = []

    def act(what, do):
        actions.append(what)
        do()

    act("choose the file", lambda: page.set_input_files("#upload-form input[type=file]", str(path)))
    act("upload", lambda: page.click("#upload-form button[type=submit]"))
    page.wait_for_selector("#problem-groups", timeout=120_000)  # the import runs in the request here (no worker)
    assert "Rejected" in page.text_content("#report-status")
    errors = int(page.text_content("#error-count"))
    assert errors >= 180  # the marathon: a problem per row, or two
    reasons = page.locator("#problem-groups tr[data-reason]")
    assert reasons.count() == 2  # ... with two causes: clients and product codes not in the book
    distinct_clients = int(page.locator("#problem-groups tr[data-reason=unknown_client] td").nth(2).text_content())
    screenshot(f"sales-bulk-fix-{name}-problems")
    act("choose the product line of every code", lambda: page.select_option("#all-products", str(valves.pk)))
    act("apply the choices and import again", lambda: page.click("#fix-and-rerun"))
    page.wait_for_selector("#report-status >> text=Applied", timeout=120_000)
    screenshot(f"sales-bulk-fix-{name}-applied")
    assert len(actions) < 5, actions
    report = SalesReport.objects.get()
    assert report.status == "applied" and report.line_count == report.row_count and report.error_count == 0
    assert CorporateClient.objects.filter(distributor=world.own, status="active").count() == distinct_clients
    assert set(ProductMapping.objects.filter(distributor=world.own).values_list("product_line", flat=True)) == {valves.pk}
