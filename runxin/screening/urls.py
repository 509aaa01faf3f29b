from django.urls import path

from . import views_campaigns, views_fhir, views_individual, views_instruments, views_results, views_student

app_name = "screening"
urlpatterns = [
    # Students: sign in with a code or an account, then answer. First in the list: a whole city's students
    # hit these during a screening, and Django tries the patterns in order.
    path("c/", views_student.code_entry, name="code_entry"),
    path("c/<str:code>/", views_student.code_landing, name="code_landing"),
    path("mine/", views_student.mine, name="mine"),
    path("mine/<id:target_id>/start/", views_student.mine_start, name="mine_start"),
    path("take/", views_student.take, name="take"),
    path("take/consent/", views_student.take_consent, name="take_consent"),
    path("take/review/", views_student.take_review, name="take_review"),
    path("take/submit/", views_student.take_submit, name="take_submit"),
    path("take/done/", views_student.take_done, name="take_done"),
    path("take/leave/", views_student.leave, name="take_leave"),
    path("take/<id:position>/", views_student.take_intro, name="take_intro"),
    path("take/<id:position>/all/", views_student.take_page, name="take_page"),
    path("take/<id:position>/<str:item_id>/", views_student.take_item, name="take_item"),
    # Staff: campaigns (测评任务)
    path("", views_campaigns.campaign_list, name="campaign_list"),
    path("campaigns/new/", views_campaigns.campaign_new, name="campaign_new"),
    path("campaigns/<id:campaign_id>/", views_campaigns.campaign_detail, name="campaign_detail"),
    path("campaigns/<id:campaign_id>/edit/", views_campaigns.campaign_edit, name="campaign_edit"),
    path("campaigns/<id:campaign_id>/open/", views_campaigns.campaign_open, name="campaign_open"),
    path("campaigns/<id:campaign_id>/close/", views_campaigns.campaign_close, name="campaign_close"),
    path("campaigns/<id:campaign_id>/progress/", views_campaigns.campaign_progress, name="campaign_progress"),
    path("campaigns/<id:campaign_id>/classes/<id:class_id>/", views_campaigns.class_progress, name="class_progress"),
    path("campaigns/<id:campaign_id>/classes/<id:class_id>/codes.pdf", views_campaigns.class_codes_pdf,
         name="class_codes"),
    path("campaigns/<id:campaign_id>/classes/<id:class_id>/consent/", views_campaigns.class_consent,
         name="class_consent"),
    path("campaigns/<id:campaign_id>/classes/<id:class_id>/remind/", views_campaigns.class_remind,
         name="class_remind"),
    # Staff: results (clinical)
    path("campaigns/<id:campaign_id>/results/", views_results.results_list, name="results_list"),
    path("campaigns/<id:campaign_id>/summary/", views_results.summary, name="summary"),
    path("campaigns/<id:campaign_id>/export.xlsx", views_results.export_xlsx, name="export_xlsx"),
    path("results/<id:submission_id>/", views_results.result_detail, name="result_detail"),
    path("results/<id:submission_id>/fhir/<id:result_id>.json", views_results.result_fhir, name="result_fhir"),
    # The same result as a Bundle: QuestionnaireResponse, an Observation per score, RiskAssessment (docs/fhir.md)
    path("results/<id:submission_id>/fhir/<id:result_id>.bundle.json", views_results.result_fhir,
         {"bundle": True}, name="result_fhir_bundle"),
    # >>> individual reports
    # The individual report in two voices: professional (beside the result page) and careful (for the family)
    path("results/<id:submission_id>/report/", views_individual.professional, name="professional_report"),
    path("results/<id:submission_id>/report.pdf", views_individual.professional_pdf, name="professional_report_pdf"),
    path("results/<id:submission_id>/feedback/", views_individual.careful_preview, name="careful_preview"),
    path("results/<id:submission_id>/feedback.pdf", views_individual.careful_preview_pdf, name="careful_preview_pdf"),
    path("results/<id:submission_id>/feedback/share/", views_individual.careful_share, name="careful_share"),
    path("results/<id:submission_id>/feedback/withdraw/", views_individual.careful_withdraw, name="careful_withdraw"),
    path("mine/reports/<id:submission_id>/", views_individual.student_report, name="student_report"),
    path("mine/reports/<id:submission_id>.pdf", views_individual.student_report_pdf, name="student_report_pdf"),
    path("family/reports/<id:submission_id>/", views_individual.parent_report, name="parent_report"),
    path("family/reports/<id:submission_id>.pdf", views_individual.parent_report_pdf, name="parent_report_pdf"),
    # <<< individual reports
    # Staff: instruments (量表)
    path("instruments/", views_instruments.instrument_list, name="instrument_list"),
    path("instruments/upload/", views_instruments.instrument_upload, name="instrument_upload"),
    path("instruments/<id:version_id>/", views_instruments.instrument_version, name="instrument_version"),
    path("instruments/<id:version_id>/publish/", views_instruments.instrument_publish, name="instrument_publish"),
    path("instruments/<id:version_id>/delete/", views_instruments.instrument_delete, name="instrument_delete"),
    path("instruments/<id:version_id>/download/<str:fmt>/", views_instruments.instrument_download,
         name="instrument_download"),
    # Canonical FHIR resources (definitions and code lists, no personal data; docs/fhir.md)
    path("fhir/Questionnaire/<str:reference>", views_fhir.questionnaire, name="fhir_questionnaire"),
    path("fhir/CodeSystem/<str:name>", views_fhir.code_system, name="fhir_code_system"),
    path("fhir/CodeSystem/<str:code>/<str:part>", views_fhir.instrument_code_system,
         name="fhir_instrument_code_system"),
    path("fhir/NamingSystem/<str:name>", views_fhir.naming_system, name="fhir_naming_system"),
    # Parents: a questionnaire about their own child (answered through the same take flow)
    path("parent/<id:target_id>/start/", views_student.parent_start, name="parent_start"),
    # Guardians (监护人): the consent link
    path("consent/<str:token>/", views_student.guardian_consent, name="guardian_consent"),
]
