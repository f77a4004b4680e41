"""Webhook pages: subscriptions, a new one (its secret shown once), its delivery log, redeliver, disable, enable."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from keychannel.core.errors import ConflictError
from keychannel.core.events import EVENT_TYPES
from keychannel.core.forms import service_errors_to_form
from keychannel.core.policies import require

from . import selectors, services
from .forms import SubscriptionForm


def webhook_list(request):
    principal = request.principal
    require(principal, "integrations.webhook.manage")
    return render(request, "integrations/webhook_list.html", {
        "subscriptions": selectors.subscription_list(principal=principal),
        "breadcrumbs": [(_("Webhooks"), "")],
    })


@require_http_methods(["GET", "POST"])
def webhook_create(request):
    principal = request.principal
    require(principal, "integrations.webhook.manage")
    form = SubscriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            subscription, secret = services.subscription_create(principal=principal, **form.cleaned_data)
        except ValidationError as exc:
            service_errors_to_form(form, exc)
        else:
            messages.success(request, _("Subscription created. Copy its signing secret now: it is not shown again."))
            return render(request, "integrations/webhook_created.html", {
                "subscription": subscription, "secret": secret,
                "breadcrumbs": [(_("Webhooks"), "integrations:webhook_list"), (subscription.name, "")],
            })
    status = 422 if request.method == "POST" else 200
    return render(request, "integrations/webhook_form.html", {
        "form": form, "breadcrumbs": [(_("Webhooks"), "integrations:webhook_list"), (_("New subscription"), "")],
    }, status=status)


def webhook_detail(request, pk):
    principal = request.principal
    subscription = selectors.subscription_get(principal=principal, pk=pk)
    page = Paginator(selectors.delivery_list(principal=principal, subscription=subscription), 50).get_page(
        request.GET.get("page"))
    return render(request, "integrations/webhook_detail.html", {
        "subscription": subscription, "page": page,
        "events": [EVENT_TYPES.get(e, e) for e in subscription.event_types],
        "breadcrumbs": [(_("Webhooks"), "integrations:webhook_list"), (subscription.name, "")],
    })


def delivery_detail(request, pk):
    principal = request.principal
    delivery = selectors.delivery_get(principal=principal, pk=pk)
    return render(request, "integrations/delivery_detail.html", {
        "delivery": delivery, "attempts": selectors.attempt_list(principal=principal, delivery=delivery),
        "breadcrumbs": [(_("Webhooks"), "integrations:webhook_list"),
                        (delivery.subscription.name, delivery.subscription.get_absolute_url()),
                        (delivery.message_id, "")],
    })


@require_POST
def delivery_redeliver(request, pk):
    principal = request.principal
    delivery = selectors.delivery_get(principal=principal, pk=pk)
    try:
        services.delivery_redeliver(principal=principal, delivery=delivery)
    except (ValidationError, ConflictError) as exc:
        messages.error(request, exc.message if isinstance(exc, ConflictError) else " ".join(exc.messages))
    else:
        messages.success(request, _("Queued for redelivery."))
    return redirect("integrations:delivery_detail", pk=delivery.pk)


@require_POST
def webhook_disable(request, pk):
    principal = request.principal
    subscription = selectors.subscription_get(principal=principal, pk=pk)
    services.subscription_disable(principal=principal, subscription=subscription)
    messages.success(request, _("Subscription disabled: no events are sent to it."))
    return redirect(subscription.get_absolute_url())


@require_POST
def webhook_enable(request, pk):
    principal = request.principal
    subscription = selectors.subscription_get(principal=principal, pk=pk)
    try:
        services.subscription_enable(principal=principal, subscription=subscription)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Subscription enabled."))
    return redirect(subscription.get_absolute_url())
