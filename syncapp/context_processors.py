from django.conf import settings


def demo(request):
    """Tell admin pages where the demo sandbox is, when this install runs one."""
    if not settings.HXSYNC_SANDBOX:
        return {}
    return {"sandbox_url": f"http://127.0.0.1:{settings.SANDBOX_PORT}"}
