from django.urls import path

from . import views, views_tokens

app_name = "api"
urlpatterns = [
    path("schema/", views.SchemaView.as_view(), name="schema"),
    path("docs/", views.DocsView.as_view(), name="docs"),
    path("tokens/", views_tokens.token_list, name="tokens"),
    path("tokens/accounts/", views_tokens.account_flag, name="account_flag"),
    path("tokens/accounts/<id:account_id>/issue/", views_tokens.token_issue, name="token_issue"),
    path("tokens/<id:token_id>/revoke/", views_tokens.token_revoke, name="token_revoke"),
    # v1: roster sync (学籍系统)
    path("v1/students/", views.StudentList.as_view(), name="students"),
    path("v1/import-batches/", views.ImportBatchCreate.as_view(), name="import_batch_create"),
    path("v1/import-batches/<id:batch_id>/", views.ImportBatchDetail.as_view(), name="import_batch"),
    path("v1/import-batches/<id:batch_id>/commit/", views.ImportBatchCommit.as_view(), name="import_batch_commit"),
    # v1: warnings for the provincial platform, referrals and feedback for hospitals
    path("v1/warnings/", views.WarningList.as_view(), name="warnings"),
    path("v1/warnings/<id:warning_id>/", views.WarningDetail.as_view(), name="warning"),
    path("v1/warnings/<id:warning_id>/hospital-feedback/", views.HospitalFeedback.as_view(),
         name="hospital_feedback"),
    path("v1/referrals/", views.ReferralList.as_view(), name="referrals"),
    # v1: screening results summaries
    path("v1/screening/campaigns/", views.CampaignList.as_view(), name="campaigns"),
    path("v1/screening/campaigns/<id:campaign_id>/summary/", views.CampaignSummary.as_view(),
         name="campaign_summary"),
]
