from django.contrib.admin.views.decorators import staff_member_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404

from syncapp.models import SyncRun


@staff_member_required
def run_progress(request, run_id: int):
    """Polled by the run page's progress bar."""
    if not request.user.has_perm("syncapp.view_syncrun"):
        return JsonResponse({"error": "forbidden"}, status=403)
    run = get_object_or_404(SyncRun, pk=run_id)
    return JsonResponse(
        {
            "id": run.pk,
            "status": run.status,
            "total": run.total,
            "done": run.done,
            "counters": run.counters,
            "error": run.error,
            "note": run.note,
            "label": run.get_status_display(),
            "finished": run.status in SyncRun.FINISHED,
        }
    )
