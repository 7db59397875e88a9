from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django.views.generic import RedirectView

from fairlance.api.main import api

# The admin has no password form of its own: it sends people to the site's login (mandatory
# verified address, the password throttle, the code by email) and password page (which
# revokes API tokens), allauth's documented way to protect it.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

urlpatterns: list[URLPattern | URLResolver] = [
    path("api/v1/", api.urls),
    path("accounts/", include("allauth.urls")),
    path(
        "admin/password_change/",
        RedirectView.as_view(pattern_name="account_change_password"),
        name="admin_password_change",
    ),
    path("admin/", admin.site.urls),
    path("", include("fairlance.web.urls")),
]

if settings.FAIRLANCE_BENCH_VIEWS:
    from fairlance.bench import views as bench_views

    urlpatterns += [
        path("bench/baseline", bench_views.baseline),
        path("bench/baseline-db", bench_views.baseline_db),
    ]

if settings.DEBUG or settings.SERVE_MEDIA:
    from django.http import FileResponse, HttpRequest, HttpResponse
    from django.views.static import serve

    def gallery_media(request: HttpRequest, path: str) -> HttpResponse | FileResponse:
        # Only the public gallery is served by URL. Delivery and requirement files live
        # under MEDIA_ROOT too but are private: access-checked views hand them out.
        return serve(request, path, document_root=str(settings.MEDIA_ROOT / "gallery"))

    urlpatterns += [
        path(f"{settings.MEDIA_URL.strip('/')}/gallery/<path:path>", gallery_media),
    ]
