"""HTML forms as a browser or an SDK web view would submit them: their successful controls,
named submit buttons, radio buttons and checkboxes (acsHTML, and the browser challenge pages)."""

from __future__ import annotations

from html.parser import HTMLParser


class Form:
    def __init__(self, action: str) -> None:
        self.action = action  # any method: SDK web views turn a POST into the GET they intercept
        self.fields: list[list[str]] = []  # [name, value] in document order
        self.buttons: list[tuple[str, str]] = []  # named submit buttons
        self.checkables: list[tuple[str, str]] = []  # radio buttons and checkboxes: (name, value)


class FormParser(HTMLParser):
    """Forms, their successful controls and named submit buttons, as a web view would post."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._text: list[str] | None = None  # the control whose value is text being read
        self._select: list[str] | None = None
        self._picked = ""  # "" no option yet, "first" the first one, "selected" a selected one

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = Form(a.get("action", ""))
            self.forms.append(self._form)
            return
        form = self._form
        if form is None or "disabled" in a:
            return
        name = a.get("name")
        kind = a.get("type", "text" if tag == "input" else "submit").lower()
        if tag == "input" and name:
            if kind in ("submit", "image"):
                form.buttons.append((name, a.get("value", "")))
            elif kind in ("checkbox", "radio"):
                form.checkables.append((name, a.get("value", "on")))
                if "checked" in a:
                    form.fields.append([name, a.get("value", "on")])
            elif kind not in ("reset", "button", "file"):
                form.fields.append([name, a.get("value", "")])
        elif tag == "button" and name and kind == "submit":
            form.buttons.append((name, a.get("value", "")))
        elif tag == "textarea" and name:
            self._text = [name, ""]
            form.fields.append(self._text)
        elif tag == "select" and name:
            self._select, self._picked = [name, ""], ""
            form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            selected = "selected" in a
            if not self._picked or (selected and self._picked != "selected"):
                self._picked = "selected" if selected else "first"
                self._select[1] = a.get("value", "")
                self._text = None if "value" in a else self._select  # else its text is its value

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text[1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag in ("textarea", "option") and self._text is not None:
            if self._text is self._select:
                self._text[1] = self._text[1].strip()
            self._text = None


def parse_forms(html: str) -> list[Form]:
    parser = FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms
