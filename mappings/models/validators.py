from django.core.validators import RegexValidator

# Xero: account codes are up to 10 alphanumeric characters; tax types are upper-case words
# such as OUTPUT2, TAX001, INPUTY24 (Accounting API, Accounts and TaxRates).
account_code_validator = RegexValidator(
    r"^[A-Za-z0-9]{1,10}$", "An account code is 1 to 10 letters or digits, as in Xero's chart."
)
tax_type_validator = RegexValidator(
    r"^[A-Z0-9_]{1,40}$", "A Xero tax type is upper-case letters and digits, e.g. OUTPUT2."
)
currency_validator = RegexValidator(r"^[A-Z]{3}$", "Use the ISO 4217 code, e.g. GBP, USD, EUR.")
harvest_id_validator = RegexValidator(r"^\d{1,20}$", "A Harvest id is a number.")
