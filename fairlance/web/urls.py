from django.urls import path

from fairlance.web.views import (
    contracts,
    dashboard,
    freelancer,
    money,
    operator,
    proposals,
    public,
    quotes,
    settings,
    trust,
)

app_name = "web"

urlpatterns = [
    path("", public.home, name="home"),
    path("search/", public.search, name="search"),
    path("projects/<int:project_id>/", public.project_detail, name="project_detail"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("projects/<int:project_id>/checkout/", contracts.checkout, name="checkout"),
    path("contracts/<int:contract_id>/", contracts.contract_room, name="contract_room"),
    path(
        "contracts/<int:contract_id>/requirements/",
        contracts.requirements,
        name="contract_requirements",
    ),
    path(
        "contracts/<int:contract_id>/deliver/", contracts.contract_deliver, name="contract_deliver"
    ),
    path(
        "contracts/<int:contract_id>/do/<slug:name>/", contracts.contract_act, name="contract_act"
    ),
    path(
        "contracts/<int:contract_id>/answer/",
        contracts.contract_answer_dispute,
        name="contract_answer_dispute",
    ),
    path(
        "contracts/<int:contract_id>/propose/",
        proposals.contract_propose,
        name="contract_propose",
    ),
    path(
        "proposals/<int:proposal_id>/<slug:answer>/",
        proposals.proposal_answer,
        name="proposal_answer",
    ),
    path(
        "contracts/<int:contract_id>/files/<uuid:file_id>/",
        contracts.contract_file,
        name="contract_file",
    ),
    path("freelancers/<int:user_id>/", trust.freelancer_profile, name="freelancer_profile"),
    path("me/score/", trust.my_score, name="my_score"),
    path("contracts/<int:contract_id>/feedback/", trust.feedback_leave, name="feedback_leave"),
    path(
        "contracts/<int:contract_id>/feedback/reply/",
        trust.feedback_reply,
        name="feedback_reply",
    ),
    path(
        "contracts/<int:contract_id>/feedback/remove/",
        trust.feedback_remove,
        name="feedback_remove",
    ),
    path(
        "contracts/<int:contract_id>/feedback/report/",
        trust.feedback_report,
        name="feedback_report",
    ),
    path(
        "operator/feedback-reports/",
        trust.feedback_reports,
        name="operator_feedback_reports",
    ),
    path(
        "operator/feedback-reports/<int:report_id>/",
        trust.feedback_report_decide,
        name="operator_feedback_report_decide",
    ),
    path("projects/<int:project_id>/quote/", quotes.quote_ask, name="quote_ask"),
    path("quotes/<int:request_id>/", quotes.quote_request_page, name="quote_request"),
    path(
        "quotes/<int:request_id>/files/<uuid:file_id>/",
        quotes.quote_file,
        name="quote_file",
    ),
    path("offers/<int:offer_id>/", quotes.offer_page, name="offer"),
    path("balance/", money.balance, name="balance"),
    path("my/projects/", freelancer.my_projects, name="my_projects"),
    path("my/projects/new/", freelancer.project_new, name="project_new"),
    path("my/projects/<int:project_id>/edit/", freelancer.project_edit, name="project_edit"),
    path("my/projects/<int:project_id>/gallery/", freelancer.gallery_add, name="gallery_add"),
    path(
        "my/projects/<int:project_id>/gallery/remove/",
        freelancer.gallery_remove,
        name="gallery_remove",
    ),
    path(
        "my/projects/<int:project_id>/<slug:action>/",
        freelancer.project_status_action,
        name="project_action",
    ),
    path("settings/profile/", settings.profile, name="settings_profile"),
    path("settings/calendar/", settings.calendar, name="settings_calendar"),
    path("settings/calendar/time-off/", settings.time_off_add, name="time_off_add"),
    path("settings/calendar/time-off/remove/", settings.time_off_remove, name="time_off_remove"),
    path("settings/tokens/", settings.tokens, name="settings_tokens"),
    path("settings/tokens/revoke/", settings.token_revoke, name="token_revoke"),
    path("operator/review/", operator.review_queue, name="operator_review"),
    path("operator/review/<int:project_id>/", operator.review_decide, name="operator_decide"),
    path("operator/disputes/", operator.dispute_queue, name="operator_disputes"),
    path(
        "operator/disputes/<int:contract_id>/",
        operator.dispute_page,
        name="operator_dispute",
    ),
    path(
        "contracts/<int:contract_id>/resolve/",
        contracts.contract_resolve,
        name="contract_resolve",
    ),
]
