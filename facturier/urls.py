from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.static import serve

admin.site.site_header = "Facturier — administration de la plateforme"
handler404 = "facturier.web.views.page_not_found"

urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("facturier.accounts.urls")),
    path("", include("facturier.mfa.urls")),
    path("", include("facturier.web.urls")),
    path("<slug:slug>/", include("facturier.billing.urls")),
    path("<slug:slug>/", include("facturier.purchases.urls")),
    path("<slug:slug>/", include("facturier.reports.urls")),
    path("<slug:slug>/", include("facturier.exports.urls")),
    path("<slug:slug>/", include("facturier.einvoice.urls")),
    path("<slug:slug>/", include("facturier.firm.urls")),
    path("<slug:slug>/settings/", include("facturier.tenancy.urls")),
    path("<slug:slug>/settings/", include("facturier.exports.settings_urls")),
    path("<slug:slug>/settings/", include("facturier.einvoice.settings_urls")),
    path("<slug:slug>/settings/", include("facturier.webhooks.settings_urls")),
    path("<slug:slug>/settings/", include("facturier.mfa.settings_urls")),
    # The public JSON API: paths ending in .json, and /api/ (a reserved slug): it shadows no page.
    path("", include("facturier.api.urls")),
]
if settings.DEBUG:
    # Only logos are public files; attachments and exports are served by views behind the access gate.
    urlpatterns.append(
        re_path(r"^media/(?P<path>logos/.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    )
