"""Record budget crossings once and e-mail the ones this run recorded."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from syncapp.flows.budgets.plan import HOURS, BudgetStatus
from syncapp.models import BudgetAlert, Integration

logger = logging.getLogger(__name__)

NO_RECIPIENTS = (
    "Not sent: no one to tell. The project has no manager with an e-mail address in Harvest "
    "and the integration has no finance addresses; add them under Integrations › Budgets."
)


@dataclass
class ProjectAlerts:
    """The alerts one run recorded for one project, sent together in one message."""

    status: BudgetStatus
    alerts: list[BudgetAlert] = field(default_factory=list)

    @property
    def highest(self) -> int:
        return max(alert.threshold for alert in self.alerts)


def alerts_record(*, integration: Integration, status: BudgetStatus, thresholds) -> ProjectAlerts:
    """Insert one row per threshold; a row another run or worker inserted first is left alone
    (the unique constraints decide, on SQLite and PostgreSQL alike), so only the rows this
    call inserted come back, and only they are ever sent."""
    budget = status.budget
    recorded = ProjectAlerts(status=status)
    for threshold in thresholds:
        try:
            with transaction.atomic():
                alert = BudgetAlert.objects.create(
                    integration=integration,
                    harvest_project_id=budget.project_id,
                    project_name=budget.project_name[:255],
                    client_name=budget.client_name[:255],
                    budget_kind=budget.kind_label[:60],
                    threshold=threshold,
                    period=status.period,
                    used=status.used,
                    budget=budget.amount,
                    percent=status.percent,
                    unit=status.unit[:8],
                    crossed_at=timezone.now(),
                )
        except IntegrityError:
            continue
        recorded.alerts.append(alert)
    return recorded


def dashboard_url(*, integration: Integration) -> str:
    path = reverse("admin:syncapp_projectmonth_dashboard") + f"?integration={integration.pk}"
    return getattr(settings, "HXSYNC_PUBLIC_URL", "").rstrip("/") + path


def _amount(value, unit: str) -> str:
    if unit == HOURS:
        return f"{value:,.2f} hours"
    return f"{unit} {value:,.2f}".strip()


def alert_message(
    *, integration: Integration, project: ProjectAlerts, recipients: list[str]
) -> EmailMultiAlternatives:
    status = project.status
    budget = status.budget
    thresholds = sorted(alert.threshold for alert in project.alerts)
    context = {
        "integration": integration,
        "project": budget.project_name or f"Harvest project {budget.project_id}",
        "client": budget.client_name,
        "kind": budget.kind_label,
        "period": f"{status.period:%B %Y}" if status.period else "",
        "used": _amount(status.used, status.unit),
        "budget": _amount(budget.amount, status.unit),
        "remaining": _amount(budget.amount - status.used, status.unit),
        "percent": f"{status.percent}",
        "threshold": project.highest,
        "crossed": ", ".join(f"{t} %" for t in thresholds),
        "over": status.used > budget.amount,
        "link": dashboard_url(integration=integration),
    }
    subject = (
        f"Budget alert: {context['project']} has used {status.percent} % of its budget "
        f"({project.highest} % crossed)"
    )
    text = render_to_string("emails/budget_alert.txt", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=recipients)
    message.attach_alternative(render_to_string("emails/budget_alert.html", context), "text/html")
    return message


def alerts_send(
    *, integration: Integration, project: ProjectAlerts, recipients: list[str]
) -> str | None:
    """Send one message for the project's new alerts and stamp them; returns why it was not
    sent, or None."""
    ids = [alert.pk for alert in project.alerts]
    if not recipients:
        BudgetAlert.objects.filter(pk__in=ids).update(note=NO_RECIPIENTS)
        return NO_RECIPIENTS
    message = alert_message(integration=integration, project=project, recipients=recipients)
    try:
        message.send()
    except Exception as exc:  # SMTP refusals, DNS, timeouts: each backend raises its own
        logger.warning("budget alert for project %s not sent", project.status.budget.project_id)
        reason = (
            f"Not sent: the mail server refused it ({type(exc).__name__}: {exc}). Check the "
            "e-mail settings (EMAIL_HOST and friends); this alert is not sent again by itself."
        )
        BudgetAlert.objects.filter(pk__in=ids).update(note=reason, recipients="\n".join(recipients))
        return reason
    BudgetAlert.objects.filter(pk__in=ids).update(
        sent_at=timezone.now(), recipients="\n".join(recipients), note=""
    )
    return None
