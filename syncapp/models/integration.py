from django.core.validators import RegexValidator
from django.db import models

from syncapp.fields import EncryptedTextField


class Integration(models.Model):
    """One Harvest account paired with one Xero organisation, and how finance wants them kept."""

    class InvoiceTrigger(models.TextChoices):
        OPEN = "open", "When sent or marked open in Harvest"
        DRAFT = "draft", "As soon as drafted in Harvest"

    class XeroInvoiceStatus(models.TextChoices):
        DRAFT = "DRAFT", "Draft (finance approves in Xero)"
        AUTHORISED = "AUTHORISED", "Approved (authorised)"

    class NumberingPolicy(models.TextChoices):
        KEEP_HARVEST = "keep_harvest", "Keep Harvest's invoice number"
        XERO = "xero", "Let Xero number it; Harvest's number goes in Reference"

    class ContactMatchPolicy(models.TextChoices):
        AUTO_LINK = "auto_link", "Link a single strong match automatically"
        ALWAYS_REVIEW = "always_review", "Always send matches to review"

    class CurrencyPolicy(models.TextChoices):
        ENABLE = "enable", "Enable the currency in Xero"
        FAIL = "fail", "Hold the invoice and tell finance"

    class RoundingPolicy(models.TextChoices):
        FLAG = "flag", "Flag the difference for review"
        BALANCE = "balance", "Add a rounding line to the rounding account"

    class RemovedInvoicePolicy(models.TextChoices):
        VOID = "void", "Void (or delete a draft) in Xero"
        FLAG = "flag", "Leave it in Xero and flag it"

    class ClosedInvoicePolicy(models.TextChoices):
        FLAG = "flag", "Flag it for finance to decide"
        WRITE_OFF = "write_off", "Void it in Xero, or credit what is still due there"

    class PaymentMatchPolicy(models.TextChoices):
        LINKED_ONLY = "linked_only", "Only invoices hxsync sent to Xero"
        BY_NUMBER = "by_number", "Also Harvest invoices with the same number (not sent by hxsync)"

    class ExpenseMode(models.TextChoices):
        BILL = "bill", "Reimbursable: a bill to the person who spent it"
        SPEND_MONEY = "spend_money", "Company card: spend money from the card's bank account"
        CLIENT_INVOICE = "client_invoice", "Billable to the client: left for the client's invoice"
        OFF = "off", "Not sent to Xero"

    class ExpenseApproval(models.TextChoices):
        APPROVED = "approved", "Only expenses approved in Harvest"
        ALL = "all", "Every expense, approved or not"

    class ExpenseGrouping(models.TextChoices):
        EXPENSE = "expense", "One bill per expense"
        WEEK = "week", "One bill per person per week"
        MONTH = "month", "One bill per person per month"

    class JournalDebit(models.TextChoices):
        COST_OF_SALES = "cost_of_sales", "Cost of sales"
        WIP = "wip", "Work in progress (WIP)"

    class JournalStatus(models.TextChoices):
        DRAFT = "DRAFT", "Draft (finance posts it in Xero)"
        POSTED = "POSTED", "Posted"

    class ExpenseBillStatus(models.TextChoices):
        DRAFT = "DRAFT", "Draft"
        SUBMITTED = "SUBMITTED", "Awaiting approval (finance approves in Xero)"
        AUTHORISED = "AUTHORISED", "Approved (authorised)"

    name = models.CharField(max_length=120, unique=True)
    is_active = models.BooleanField(default=True, help_text="Paused integrations are not synced.")
    invoice_trigger = models.CharField(
        max_length=16, choices=InvoiceTrigger.choices, default=InvoiceTrigger.OPEN
    )
    xero_invoice_status = models.CharField(
        max_length=16, choices=XeroInvoiceStatus.choices, default=XeroInvoiceStatus.DRAFT
    )
    numbering_policy = models.CharField(
        max_length=16, choices=NumberingPolicy.choices, default=NumberingPolicy.KEEP_HARVEST
    )
    invoice_number_prefix = models.CharField(max_length=20, blank=True)
    contact_match_policy = models.CharField(
        max_length=16, choices=ContactMatchPolicy.choices, default=ContactMatchPolicy.AUTO_LINK
    )
    currency_policy = models.CharField(
        max_length=16, choices=CurrencyPolicy.choices, default=CurrencyPolicy.FAIL
    )
    rounding_policy = models.CharField(
        max_length=16, choices=RoundingPolicy.choices, default=RoundingPolicy.FLAG
    )
    rounding_account_code = models.CharField(max_length=10, blank=True)
    removed_invoice_policy = models.CharField(
        max_length=16, choices=RemovedInvoicePolicy.choices, default=RemovedInvoicePolicy.FLAG
    )
    closed_invoice_policy = models.CharField(
        max_length=16,
        choices=ClosedInvoicePolicy.choices,
        default=ClosedInvoicePolicy.FLAG,
        help_text="An invoice already in Xero that is then closed (written off) in Harvest. "
        "A closed invoice is never sent to Xero in the first place.",
    )
    default_account_code = models.CharField(
        max_length=10, blank=True, help_text="Sales account used when no mapping rule applies."
    )
    default_tax_type = models.CharField(max_length=40, blank=True)
    expense_mode = models.CharField(
        max_length=16,
        choices=ExpenseMode.choices,
        default=ExpenseMode.BILL,
        help_text="How a Harvest expense reaches Xero, unless its category says otherwise "
        "(Mappings › Expense categories).",
    )
    expense_approval = models.CharField(
        max_length=16, choices=ExpenseApproval.choices, default=ExpenseApproval.APPROVED
    )
    expense_grouping = models.CharField(
        max_length=16,
        choices=ExpenseGrouping.choices,
        default=ExpenseGrouping.MONTH,
        help_text="Reimbursable expenses only. A bill holds at most 10 receipts (Xero's limit "
        "per record); a person's busy month becomes several bills.",
    )
    expense_bill_status = models.CharField(
        max_length=16, choices=ExpenseBillStatus.choices, default=ExpenseBillStatus.SUBMITTED
    )
    expense_card_account_code = models.CharField(
        max_length=10,
        blank=True,
        help_text="The Xero bank account (its code) that company-card expenses are paid from.",
    )
    expenses_from = models.DateField(
        null=True,
        blank=True,
        help_text="Expenses spent before this date are never sent (empty: all of them).",
    )
    expense_uninvoiced_days = models.PositiveIntegerField(
        default=30,
        help_text="A billable expense still not on a Harvest invoice this many days after it "
        "was spent is flagged for finance.",
    )
    journal_debit = models.CharField(
        max_length=16,
        choices=JournalDebit.choices,
        default=JournalDebit.COST_OF_SALES,
        help_text="What the monthly cost journal debits, per project.",
    )
    journal_cost_account_code = models.CharField(
        max_length=10, blank=True, help_text="Cost of sales account (its code in Xero)."
    )
    journal_wip_account_code = models.CharField(
        max_length=10,
        blank=True,
        help_text="Work-in-progress account, when the journal debits WIP.",
    )
    journal_credit_account_code = models.CharField(
        max_length=10,
        blank=True,
        help_text="The accrual or payroll-clearing account the journal credits.",
    )
    journal_status = models.CharField(
        max_length=8, choices=JournalStatus.choices, default=JournalStatus.DRAFT
    )
    budget_thresholds = models.CharField(
        max_length=60,
        default="50,75,90,100",
        validators=[
            RegexValidator(
                r"^\s*\d{1,3}(\s*,\s*\d{1,3})*\s*$",
                "Percentages separated by commas, e.g. 50, 75, 90, 100.",
            )
        ],
        help_text="Budget use (in %) at which the project's managers and finance are told, "
        "once each.",
    )
    finance_emails = models.CharField(
        max_length=500,
        blank=True,
        help_text="Finance addresses for budget alerts, separated by commas.",
    )
    payment_match_policy = models.CharField(
        max_length=16,
        choices=PaymentMatchPolicy.choices,
        default=PaymentMatchPolicy.LINKED_ONLY,
        help_text="Which Harvest invoices receive the payments recorded in Xero.",
    )
    harvest_payments_to_xero = models.BooleanField(
        default=False,
        help_text="Also record payments taken in Harvest (e.g. by card) in Xero, into the "
        "clearing account of the invoice's currency (Mappings › Currencies).",
    )
    # Never shown in the admin; the webhook page only says whether it is set.
    xero_webhook_key = EncryptedTextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        permissions = [("trigger_sync", "Can trigger a sync or resync")]

    def __str__(self):
        return self.name
