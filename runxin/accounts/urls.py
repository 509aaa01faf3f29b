from django.urls import path

from . import parent_views, staff_views, student_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("second-factor/setup/", views.otp_setup, name="otp_setup"),
    path("second-factor/", views.otp_verify, name="otp_verify"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    # Parents: phone and SMS code, or the printed invitation code (accounts/parents.py)
    path("parent/", parent_views.parent_login, name="parent_login"),
    path("parent/code/", parent_views.parent_code, name="parent_code"),
    path("parent/invitation/", parent_views.parent_invitation, name="parent_invitation"),
    path("parent/invitations/<id:class_id>/", parent_views.parent_invitations, name="parent_invitations"),
    path("parent/call-request/<id:student_id>/", parent_views.parent_call_request, name="parent_call_request"),
    # Staff and role administration
    path("staff/", staff_views.staff_list, name="staff_list"),
    path("staff/new/", staff_views.staff_create, name="staff_create"),
    path("staff/unit-options/", staff_views.unit_options, name="staff_unit_options"),
    path("staff/<id:user_id>/", staff_views.staff_detail, name="staff_detail"),
    path("staff/<id:user_id>/roles/", staff_views.assignment_add, name="assignment_add"),
    path("staff/<id:user_id>/roles/<id:assignment_id>/end/", staff_views.assignment_end, name="assignment_end"),
    path("staff/<id:user_id>/deactivate/", staff_views.user_deactivate, name="user_deactivate"),
    path("staff/<id:user_id>/reactivate/", staff_views.user_reactivate, name="user_reactivate"),
    path("staff/<id:user_id>/unlock/", staff_views.user_unlock, name="user_unlock"),
    path("staff/<id:user_id>/second-factor/reset/", staff_views.second_factor_reset, name="second_factor_reset"),
    path("staff/<id:user_id>/password/reset/", staff_views.password_reset, name="password_reset"),
    # Clinical roles awaiting the level above's approval
    path("staff/approvals/", staff_views.grant_approvals, name="grant_approvals"),
    path("staff/approvals/<id:pending_id>/approve/", staff_views.grant_approve, name="grant_approve"),
    path("staff/approvals/<id:pending_id>/refuse/", staff_views.grant_refuse, name="grant_refuse"),
    # Mentor pairing (师生结对)
    path("staff/mentors/", staff_views.mentor_list, name="mentor_list"),
    path("staff/mentors/<id:mentor_id>/", staff_views.mentor_detail, name="mentor_detail"),
    path("staff/mentors/<id:mentor_id>/pairs/", staff_views.mentor_pair_add, name="mentor_pair_add"),
    path("staff/mentors/<id:mentor_id>/pairs/<id:pair_id>/end/", staff_views.mentor_pair_end, name="mentor_pair_end"),
    # Students' accounts from the roster (accounts/students.py)
    path("students/", student_views.student_accounts_home, name="student_accounts_home"),
    path("students/school/<id:unit_id>/issue/", student_views.student_accounts_issue_school,
         name="student_accounts_issue_school"),
    path("students/class/<id:class_id>/", student_views.student_accounts, name="student_accounts"),
    path("students/class/<id:class_id>/issue/", student_views.student_accounts_issue, name="student_accounts_issue"),
    path("students/class/<id:class_id>/sheet.pdf", student_views.student_accounts_sheet, name="student_accounts_sheet"),
    path("students/<id:student_id>/reset/", student_views.student_account_reset, name="student_account_reset"),
]
