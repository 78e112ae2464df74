"""HTML forms as a browser or an SDK web view would submit them: their successful controls,
named submit buttons, radio buttons and checkboxes (acsHTML, and the browser challenge pages)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html.parser import HTMLParser


class Form:
    def __init__(self, action: str, method: str = "get") -> None:
        self.action = action  # any method: SDK web views turn a POST into the GET they intercept
        self.method = method.lower() or "get"
        self.text_inputs: list[str] = []  # names of the fields a person types into
        self.fields: list[list[str]] = []  # [name, value] in document order
        self.buttons: list[tuple[str, str]] = []  # named submit buttons
        self.checkables: list[tuple[str, str]] = []  # radio buttons and checkboxes: (name, value)
        self.multiple = False  # its checkables are checkboxes (several may be ticked)
        self.labels: dict[str, str] = {}  # a checkable's value -> the text of its <label>


class FormParser(HTMLParser):
    """Forms, their successful controls and named submit buttons, as a web view would post."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._text: list[str] | None = None  # the control whose value is text being read
        self._select: list[str] | None = None
        self._picked = ""  # "" no option yet, "first" the first one, "selected" a selected one
        self._label: str | None = None  # the checkable whose <label> text is being read
        self._skip = 0  # inside <style>, <script> or <head>: no visible text
        self.text: list[str] = []  # the page's visible text, piece by piece

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in ("style", "script", "title"):
            self._skip += 1
        if tag == "form":
            self._form = Form(a.get("action", ""), a.get("method", "get"))
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
                form.multiple = form.multiple or kind == "checkbox"
                self._label = a.get("value", "on")
                form.labels[self._label] = ""
                if "checked" in a:
                    form.fields.append([name, a.get("value", "on")])
            elif kind not in ("reset", "button", "file"):
                form.fields.append([name, a.get("value", "")])
                if kind != "hidden":
                    form.text_inputs.append(name)
        elif tag == "button" and name and kind == "submit":
            form.buttons.append((name, a.get("value", "")))
        elif tag == "textarea" and name:
            form.text_inputs.append(name)
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
        if self._label is not None and self._form is not None:
            self._form.labels[self._label] += data
        if not self._skip and data.strip():
            self.text.append(" ".join(data.split()))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "title"):
            self._skip = max(self._skip - 1, 0)
        if tag == "label" and self._label is not None and self._form is not None:
            self._form.labels[self._label] = self._form.labels[self._label].strip()
            self._label = None
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag in ("textarea", "option") and self._text is not None:
            if self._text is self._select:
                self._text[1] = self._text[1].strip()
            self._text = None


def parse_forms(html: str) -> list[Form]:
    return parse_page(html).forms


def parse_page(html: str) -> FormParser:
    """The page's forms and visible text (``.text``)."""
    parser = FormParser()
    parser.feed(html)
    parser.close()
    return parser


def submission(
    form: Form,
    data: Mapping[str, str] | None = None,
    *,
    tick: Sequence[str] = (),
    button: str | None = None,
) -> list[tuple[str, str]]:
    """The (name, value) pairs the form submits: its fields with ``data`` typed in, the radio
    buttons or checkboxes whose values are in ``tick``, and the submit button whose name or
    value is ``button`` (else the first, as pressing Enter does). ValueError names what the
    form lacks."""
    pairs = [(name, value) for name, value in form.fields]
    names = {name for name, _ in pairs}
    if unknown := set(data or {}) - names:
        raise ValueError(f"the form has no fields {sorted(unknown)}; it has {sorted(names)}")
    pairs = [(name, (data or {}).get(name, value)) for name, value in pairs]
    for value in tick:
        ticked = [c for c in form.checkables if c[1] == value]
        if not ticked:
            offered = [v for _, v in form.checkables]
            raise ValueError(f"no radio button or checkbox {value!r}; the form offers {offered}")
        pairs.append(ticked[0])
    if button is not None:
        chosen = [b for b in form.buttons if button in b]
        if not chosen:
            raise ValueError(f"no submit button {button!r} among {[v for _, v in form.buttons]}")
        pairs.append(chosen[0])
    elif form.buttons:
        pairs.append(form.buttons[0])  # implicit submission: the default button
    return pairs
