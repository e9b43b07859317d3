from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from people.forms_auth import AdminSignInForm, SignInForm
from phb import views

admin.site.site_header = "Personal health budgets: administration"
admin.site.site_title = "PHB administration"
admin.site.login_form = AdminSignInForm  # "Email address", as on the service's own sign-in

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path(
        "sign-in/",
        auth_views.LoginView.as_view(
            template_name="registration/login.html", authentication_form=SignInForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("accounts.urls")),
    path("account/", include("twofactor.urls")),
    path("people/", include("people.urls")),
    path("", include("eligibility.urls")),
    path("", include("budgets.urls")),
    path("", include("careplans.urls")),
    path("", include("casework.urls")),
    path("payments/", include("payments.urls")),
    path("", include("portal.urls")),
    path("reports/", include("reports.urls")),
    path("audit/", include("people.audit_urls")),
    path("admin/", admin.site.urls),
]
