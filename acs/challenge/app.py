"""The app channel's part of a challenge (deviceChannel 01): which UI the 3DS SDK can show, and
a step's View as the UI fields of a CRes (reference sections 3.4 and 4.8)."""

from __future__ import annotations

from acs.challenge.session import AppChannel
from acs.challenge.view import InputKind, View
from acs.protocol.messages import AcsRenderingType, CRes, DeviceRenderOptions

NATIVE, HTML = "01", "02"  # acsInterface
_NATIVE_SDK = frozenset({"01", "03"})  # sdkInterface: native, or both
_HTML_SDK = frozenset({"02", "03"})
_NATIVE_KINDS = frozenset(
    {InputKind.TEXT, InputKind.SINGLE_SELECT, InputKind.MULTI_SELECT, InputKind.OOB}
)


def plan_rendering(options: DeviceRenderOptions | None, kind: InputKind) -> AcsRenderingType | None:
    """The UI for a method that asks for ``kind``: its native UI when the SDK offers it, else
    the HTML UI; None when the SDK offers neither (the challenge cannot run there)."""
    if options is None:
        return None
    interface, offered = options.sdkInterface, set(options.sdkUiType or ())
    if kind in _NATIVE_KINDS and interface in _NATIVE_SDK and kind.value in offered:
        return AcsRenderingType(acsInterface=NATIVE, acsUiTemplate=kind.value)
    if interface in _HTML_SDK and InputKind.HTML.value in offered:
        return AcsRenderingType(acsInterface=HTML, acsUiTemplate=InputKind.HTML.value)
    return None


def rendering_of(app: AppChannel) -> AcsRenderingType:
    return AcsRenderingType(acsInterface=app.acs_interface, acsUiTemplate=app.acs_ui_template)


def native_ui(view: View, cres: CRes) -> None:
    """Fill an interim CRes with the native UI for ``view`` (the fields SDKs check for each
    acsUiType: at least one text, a submit label for 01-03, options for 02/03, a continue label
    for 04)."""
    cres.acsUiType = view.kind.value
    cres.challengeInfoHeader = view.header[:45]
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
