from django.urls import path

from syncapp import views

app_name = "syncapp"

urlpatterns = [
    path("runs/<int:run_id>/progress.json", views.run_progress, name="run-progress"),
]
