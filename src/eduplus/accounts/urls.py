from django.urls import path

from eduplus.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_change_view, name="password_change"),
    path("accounts/", views.account_list, name="list"),
    path("accounts/new/", views.account_create_view, name="create"),
    path("security/", views.security_view, name="security"),
    path("security/unlock/<int:user_pk>/", views.unlock_view, name="unlock"),
]
