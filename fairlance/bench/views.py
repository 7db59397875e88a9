"""The two baselines every benchmark scenario is compared with (issue 4).

Absolute requests/s on a shared machine drift from run to run; a ratio to these, measured
in the same run, does not. ``baseline`` goes through the whole middleware stack and does
nothing else: the ceiling of the stack. ``baseline_db`` adds one primary-key lookup through
the ORM: the ceiling of any endpoint that reads the database. They are routed only when
``FAIRLANCE_BENCH_VIEWS`` is on (``fairlance bench`` sets it for its server).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from fairlance.catalog.models import Project


def baseline(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


def baseline_db(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("id", "")
    if not raw.isdigit() or len(raw) > 18:
        return JsonResponse({"error": "id must be a positive integer"}, status=400)
    row = Project.objects.filter(pk=int(raw)).values("id", "title").first()
    if row is None:
        return JsonResponse({"error": "not found"}, status=404)
    return JsonResponse(row)
