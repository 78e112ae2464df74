"""The app channel's part of a challenge (deviceChannel 01): which UI the 3DS SDK can show, and
a step's View as the UI fields of a CRes (reference sections 3.4 and 4.8)."""

from __future__ import annotations

from acs.challenge.session import AppChannel
from acs.challenge.view import InputKind, View
from acs.protocol.messages import AcsRenderingType, CRes, DeviceRenderOptions, Image

NATIVE, HTML = "01", "02"  # acsInterface
_NATIVE_SDK = frozenset({"01", "03"})  # sdkInterface: native, or both
_HTML_SDK = frozenset({"02", "03"})
_NATIVE_KINDS = frozenset(
    {InputKind.TEXT, InputKind.SINGLE_SELECT, InputKind.MULTI_SELECT, InputKind.OOB}
)


def plan_rendering(
    options: DeviceRenderOptions | None, kind: InputKind, prefer_html: bool = False
) -> AcsRenderingType | None:
    """The UI for a step that asks for ``kind``: its native UI when the SDK offers it, else the
    HTML UI (first, with ``prefer_html``); None when the SDK offers neither."""
    if options is None:
        return None
    return _rendering(options.sdkInterface, set(options.sdkUiType or ()), kind, prefer_html)


def _rendering(
    interface: str | None, offered: set[str], kind: InputKind, prefer_html: bool
) -> AcsRenderingType | None:
    native = kind in _NATIVE_KINDS and interface in _NATIVE_SDK and kind.value in offered
    html = interface in _HTML_SDK and InputKind.HTML.value in offered
    if native and not (html and prefer_html):
        return AcsRenderingType(acsInterface=NATIVE, acsUiTemplate=kind.value)
    if html:
        return AcsRenderingType(acsInterface=HTML, acsUiTemplate=InputKind.HTML.value)
    return None


def app_channel(
    options: DeviceRenderOptions, first: AcsRenderingType, cek_enc: str, prefer_html: bool
) -> AppChannel:
    return AppChannel(
        cek_enc=cek_enc,
        acs_interface=first.acsInterface or "",
        acs_ui_template=first.acsUiTemplate or "",
        sdk_interface=options.sdkInterface or "",
        sdk_ui_types=list(options.sdkUiType or ()),
        prefer_html=prefer_html,
    )


def step_rendering(app: AppChannel, kind: InputKind) -> AcsRenderingType:
    """The UI for one step: each step may ask for another kind of answer than the first (a
    choice, then a code), and the SDK offered all of them when the challenge was planned."""
    rendering = _rendering(app.sdk_interface, set(app.sdk_ui_types), kind, app.prefer_html)
    return rendering or rendering_of(app)


def rendering_of(app: AppChannel) -> AcsRenderingType:
    return AcsRenderingType(acsInterface=app.acs_interface, acsUiTemplate=app.acs_ui_template)


_DENSITIES = ("medium", "high", "extraHigh")  # the Image object's members


def image(base: str) -> Image:
    """issuerImage / psImage: ``base`` (an absolute URL without the suffix) in three densities."""
    medium, high, extra_high = (f"{base}-{density}.png" for density in _DENSITIES)
    return Image(medium=medium, high=high, extraHigh=extra_high)


def native_ui(view: View, cres: CRes) -> None:
    """Fill an interim CRes with the native UI for ``view`` (the fields SDKs check for each
    acsUiType: at least one text, a submit label for 01-03, options for 02/03, a continue label
    for 04)."""
    cres.acsUiType = view.kind.value
    cres.challengeInfoHeader = view.header[:45]
    if view.label:  # (an OOB screen has no input to label)
        cres.challengeInfoLabel = view.label[:45]
    info = view.info if view.status is None else f"{view.status}\n{view.info}"
    cres.challengeInfoText = info[:350]
    cres.challengeInfoTextIndicator = "Y" if view.status_alert else "N"
    if view.hint:
        cres.challengeAddInfo = view.hint[:256]
    if view.kind is InputKind.OOB:
        cres.oobContinueLabel = view.submit_label[:45]
    else:
        cres.submitAuthenticationLabel = view.submit_label[:45]
    if view.resend_label:
        cres.resendInformationLabel = view.resend_label[:45]
    if view.choices:
        cres.challengeSelectInfo = [{c.value: c.label[:45]} for c in view.choices]
    if view.why:
        cres.whyInfoLabel, cres.whyInfoText = view.why[0][:45], view.why[1][:256]
    if view.expand:
        cres.expandInfoLabel, cres.expandInfoText = view.expand[0][:45], view.expand[1][:256]
