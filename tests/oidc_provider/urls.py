from django.contrib.auth import authenticate, login
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import include, path
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def sign_in(request):
    """The provider's own login (a company portal would show a form): POST username, password, next."""
    user = authenticate(request, username=request.POST.get("username"), password=request.POST.get("password"))
    if user is None:
        return HttpResponse("wrong credentials", status=401)
    login(request, user)
    target = request.POST.get("next") or "/"
    return HttpResponseRedirect(target if url_has_allowed_host_and_scheme(target, None) else "/")


urlpatterns = [
    path("login/", sign_in),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
]
