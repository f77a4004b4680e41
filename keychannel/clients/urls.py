from django.urls import path

from . import views

app_name = "clients"

urlpatterns = [
    path("", views.client_list, name="client_list"),
    path("new/", views.client_create, name="client_create"),
    path("duplicate-check/", views.duplicate_check, name="duplicate_check"),
    path("at-risk/", views.at_risk, name="at_risk"),
    path("<int:pk>/", views.client_detail, name="client_detail"),
    path("<int:pk>/edit/", views.client_update, name="client_update"),
    path("<int:pk>/delete/", views.client_delete, name="client_delete"),
    path("<int:pk>/archive/", views.client_archive, name="client_archive"),
    path("<int:pk>/restore/", views.client_restore, name="client_restore"),
    path("<int:pk>/merge/", views.client_merge, name="client_merge"),
    path("<int:pk>/stakeholders/new/", views.stakeholder_create, name="stakeholder_create"),
    path("<int:pk>/stakeholders/new/form/", views.stakeholder_new_form, name="stakeholder_new_form"),
    path("<int:pk>/links/new/", views.link_create, name="link_create"),
    path("<int:pk>/plan/", views.account_plan, name="account_plan"),
    path("<int:pk>/plan/print/", views.account_plan_print, name="account_plan_print"),
    path("<int:pk>/plan/<str:kind>/new/", views.account_plan_item_add, name="account_plan_item_add"),
    path("<int:pk>/plan/<str:kind>/<int:item_pk>/edit/", views.account_plan_item_edit, name="account_plan_item_edit"),
    path("<int:pk>/plan/<str:kind>/<int:item_pk>/delete/", views.account_plan_item_delete,
         name="account_plan_item_delete"),
    path("stakeholders/<int:pk>/", views.stakeholder_row, name="stakeholder_row"),
    path("stakeholders/<int:pk>/edit/", views.stakeholder_edit, name="stakeholder_edit"),
    path("stakeholders/<int:pk>/delete/", views.stakeholder_delete, name="stakeholder_delete"),
    path("stakeholders/<int:pk>/contacts/new/", views.contact_add, name="contact_add"),
    path("contacts/<int:pk>/delete/", views.contact_delete, name="contact_delete"),
    path("links/<int:pk>/delete/", views.link_delete, name="link_delete"),
]
