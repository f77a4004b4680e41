"""Demo webhooks: the manufacturer's ERP and one distributor's CRM, both disabled until pointed at a real endpoint.

Written directly rather than through ``subscription_create``: that service resolves the endpoint's host name, and
the demo must seed on a closed network. Disabled, so a running demo never tries to reach them.
"""

from .models import WebhookSubscription

REASON = "Demo subscription: point it at your endpoint, then enable it."


def seed(ctx):
    admin = ctx.users.get("admin")
    distributors = ctx.data.get("distributors") or []
    rows = []
    if admin is not None:
        rows.append(("ERP (demo)", "https://erp.example.com/keychannel/webhooks", admin, None,
                     ["deal.won", "deal.lost", "contract.signed", "contract.renewing", "sales_report.applied"]))
    if distributors:
        head = ctx.users.get(f"{distributors[0].code}-head")
        if head is not None:
            rows.append(("Our CRM (demo)", "https://crm.example.com/hooks/keychannel", head, distributors[0],
                         ["registration.submitted", "registration.decided", "conflict.opened", "conflict.resolved"]))
    for name, url, owner, distributor, events in rows:
        WebhookSubscription.objects.get_or_create(
            name=name, owner=owner,
            defaults={"url": url, "distributor": distributor, "event_types": events, "is_active": False,
                      "disabled_reason": REASON},
        )
