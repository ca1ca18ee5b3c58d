from django.http import JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from appevents.integrations.django.decorators import ui_request_required

APP_SECRET = "absec_django_ui_test"


@csrf_exempt
@ui_request_required(APP_SECRET)
def extension_settings(request):
    caller = request.appevents_caller
    return JsonResponse({"user": caller.user_id, "account": caller.account_id})


def hello(request):
    return JsonResponse({"hello": "site"})


urlpatterns = [
    path("stripe/", include("appevents.integrations.django.urls")),
    path("api/settings", extension_settings),
    path("hello", hello),
]
