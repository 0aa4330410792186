"""Import widgets that accept what finance types: labels as well as codes, any letter case."""

from __future__ import annotations

from import_export.widgets import BooleanWidget, CharWidget, ForeignKeyWidget

from syncapp.models import Integration


class IntegrationByNameWidget(ForeignKeyWidget):
    """The integration by its name, looked up once per import rather than once per row."""

    def __init__(self):
        super().__init__(Integration, field="name")
        self._by_name: dict[str, Integration] | None = None

    def preload(self) -> None:
        self._by_name = {i.name.casefold(): i for i in Integration.objects.all()}

    def clean(self, value, row=None, **kwargs):
        name = (value or "").strip() if isinstance(value, str) else value
        if name in (None, ""):
            raise ValueError("The integration column is empty.")
        if self._by_name is None:
            self.preload()
        found = self._by_name.get(str(name).casefold())
        if found is None:
            raise ValueError(f"No integration named '{name}'.")
        return found


class ChoiceWidget(CharWidget):
    """A choice by its code ('task') or its label ('Task'), case-insensitively."""

    def __init__(self, choices, *, label: str):
        super().__init__()
        self.label = label
        self.codes = [code for code, _ in choices]
        self.lookup = {}
        for code, text in choices:
            self.lookup[str(code).casefold()] = code
            self.lookup[str(text).casefold()] = code

    def clean(self, value, row=None, **kwargs):
        text = super().clean(value, row, **kwargs).strip()
        if not text:
            return ""
        try:
            return self.lookup[text.casefold()]
        except KeyError:
            allowed = ", ".join(self.codes)
            raise ValueError(f"'{text}' is not a {self.label}: use one of {allowed}.") from None


class YesNoWidget(BooleanWidget):
    TRUE = {"1", "true", "yes", "y", "on", "x"}
    FALSE = {"0", "false", "no", "n", "off", ""}

    def clean(self, value, row=None, **kwargs):
        text = str(value if value is not None else "").strip().casefold()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise ValueError(f"'{value}' is not yes or no.")
