"""``path("stripe/", include("appevents.integrations.django.urls"))``: POST /stripe/webhook.

The webhook's URL is the include's prefix + ``webhook``; reverse it as
``reverse("appevents:webhook")``.
"""

from __future__ import annotations

from django.urls import path

from .views import webhook

app_name = "appevents"

urlpatterns = [path("webhook", webhook, name="webhook")]
