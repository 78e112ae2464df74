"""Scenario files as written by people: every mistake is a ScenarioError naming the file, the
step and what to write instead; expectations compare as documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from acs.protocol.messages import ARes, CRes, Erro, RReq
from acs.scenario.expect import ExpectError, compile_expect, failures
from acs.scenario.model import CatalogCard, ScenarioError, load

CATALOG = {
    "challenge-otp-sms": CatalogCard("4016000000000111", {}),
    "frictionless-i": CatalogCard("4016000000000079", {"threeDSRequestorChallengeInd": "05"}),
}
HOLDERS = {"visa-plain-1": "4016000000000087"}


def _load(tmp_path: Path, text: str) -> object:
    file = tmp_path / "case.yaml"
    file.write_text(text)
    return load(file, CATALOG, HOLDERS)


GOOD = """
card: frictionless-i
areq: {purchaseAmount: "4999", acctInfo: null}
steps:
  - areq: {}
    expect: {transStatus: I, eci: {present: false}}
  - challenge
  - enter: outbox
  - select: {labels: [Corner Coffee]}
  - continue: {within: 5}
  - timeout: {within: 3}
    expect: {transStatus: "N", challengeCancel: "04"}
  - final: {transStatus: "Y"}
  - rreq: {"acsRenderingType.acsUiTemplate": "05", authenticationMethod: {len: 2}}
  - record: {decision.rule_id: frictionless-i, "challenge.rreq.status": delivered}
"""


def test_a_good_file_loads(tmp_path: Path) -> None:
    scenario = _load(tmp_path, GOOD)
    assert scenario.name == "case"  # type: ignore[attr-defined]
    assert scenario.acct_number == "4016000000000079"  # type: ignore[attr-defined]
    # the card's own AReq fields first, the scenario's over them (null drops one later)
    assert scenario.areq == {  # type: ignore[attr-defined]
        "threeDSRequestorChallengeInd": "05",
        "purchaseAmount": "4999",
        "acctInfo": None,
    }
    actions = [s.action for s in scenario.steps]  # type: ignore[attr-defined]
    assert actions == [
        "areq", "challenge", "enter", "select", "continue", "timeout", "final", "rreq", "record"
    ]  # fmt: skip


BAD = [
    ("steps:\n  - areq: {}\n", "", "name the card once"),
    ("card: challenge-otp-smss\nsteps: [areq]\n", "card", "did you mean challenge-otp-sms?"),
    ("cardholder: visa-plain-2\nsteps: [{areq: {}}]\n", "cardholder", "did you mean visa-plain-1"),
    ("acctNumber: '4016'\nsteps: [{areq: {}}]\n", "acctNumber", "Expected `str` matching regex"),
    (
        "card: frictionless-i\nchanel: app\nsteps: [{areq: {}}]\n",
        "chanel",
        "did you mean `channel`",
    ),
    ("card: frictionless-i\nchannel: ap\nsteps: [{areq: {}}]\n", "channel", "browser, app"),
    ("card: frictionless-i\nsteps: []\n", "steps", "no steps"),
    ("card: frictionless-i\nsteps:\n  - entr: '1'\n", "step 1", "did you mean `enter`?"),
    ("card: frictionless-i\nsteps:\n  - 42\n", "step 1", "a step is a mapping"),
    (
        "card: frictionless-i\nsteps:\n  - areq: {}\n    enter: '1'\n",
        "step 1",
        "one action per step",
    ),
    ("card: frictionless-i\nsteps:\n  - oob: approved\n", "step 1.oob", "approve, deny"),
    (
        "card: frictionless-i\nsteps:\n  - challenge: {windowSize: '06'}\n",
        "windowSize",
        "use one of 01, 02",
    ),
    (
        "card: frictionless-i\nsteps:\n  - areq: {}\n    expect: {transStatuss: C}\n",
        "step 1 (areq).expect",
        "did you mean transStatus",
    ),
    (
        "card: frictionless-i\nsteps:\n  - rreq: {transStatusReason: 14}\n",
        "step 1 (rreq).expect",
        "YAML reads 05 as the number 5",
    ),
    (
        "card: frictionless-i\nsteps:\n  - rreq: {challengeCancel: '99'}\n",
        "step 1 (rreq).expect",
        "write one of 01, 02, 03",
    ),
    (
        "card: frictionless-i\nsteps:\n  - areq: {}\n    expect: {eci: {presnt: true}}\n",
        "expect",
        "did you mean present?",
    ),
    (
        "card: frictionless-i\nsteps:\n  - final: {transStatus: Y}\n    expect: {}\n",
        "step 1 (final).expect",
        "write final's expectations as its value",
    ),
    (
        "card: frictionless-i\nsteps:\n  - oob: approve\n    expect: {transStatus: Y}\n",
        "step 1 (oob).expect",
        "answers nothing to expect",
    ),
    (
        "card: frictionless-i\nsteps:\n  - final: {challengeSelectInfo.x: 1}\n",
        "expect",
        "not an object",
    ),
    ("card: frictionless-i\nsteps:\n  - final: {'[0]': 1}\n", "expect", "is not a path"),
    (
        "card: frictionless-i\nsteps:\n  - final: {acsHTML: {matches: '('}}\n",
        "expect",
        "not a regular expression",
    ),
    ("card: [\n", "", "not valid YAML at line"),
    ("- a list\n", "", "a scenario is a YAML mapping"),
]


@pytest.mark.parametrize(("text", "where", "hint"), BAD)
def test_mistakes_name_the_file_the_step_and_the_fix(
    tmp_path: Path, text: str, where: str, hint: str
) -> None:
    with pytest.raises(ScenarioError) as caught:
        _load(tmp_path, text)
    message = str(caught.value)
    assert message.startswith(str(tmp_path / "case.yaml"))
    assert where in caught.value.where
    assert hint in message


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="No such file"):
        load(tmp_path / "nope.yaml", CATALOG, HOLDERS)


ARES = {"messageType": "ARes", "transStatus": "Y", "eci": "05", "authenticationValue": "AAAB"}


@pytest.mark.parametrize(
    ("spec", "problems"),
    [
        ({"transStatus": "Y"}, []),
        ({"transStatus": "N"}, ["transStatus: expected 'N', got 'Y'"]),
        ({"transStatusReason": None}, []),
        ({"eci": None}, ["eci: expected absent, got '05'"]),
        ({"eci": {"present": True}}, []),
        ({"acsURL": {"present": True}}, ["acsURL: expected present"]),
        ({"transStatus": {"in": ["Y", "A"]}}, []),
        ({"transStatus": {"not": "Y"}}, ["transStatus: expected not 'Y', got 'Y'"]),
        ({"authenticationValue": {"matches": "^A+B$"}}, []),
        ({"authenticationValue": {"startswith": "kB"}}, ["expected startswith 'kB'"]),
        ({"acsURL": {"contains": "x"}}, ["acsURL: expected contains 'x', but the field is absent"]),
        ({"acsRenderingType.acsInterface": "01"}, ["but the field is absent"]),
    ],
)
def test_expectations(spec: dict[str, object], problems: list[str]) -> None:
    found = failures(compile_expect(spec, [ARes, Erro]), ARES)
    assert len(found) == len(problems)
    for got, wanted in zip(found, problems, strict=True):
        assert wanted in got


def test_paths_into_lists_and_free_objects() -> None:
    cres = {"challengeSelectInfo": [{"otp_sms": "SMS"}, {"otp_email": "Email"}]}
    checks = compile_expect(
        {"challengeSelectInfo": {"len": 2}, "challengeSelectInfo[1].otp_email": "Email"}, [CRes]
    )
    assert failures(checks, cres) == []
    assert failures(compile_expect({"challengeSelectInfo[2]": None}, [CRes]), cres) == []
    with pytest.raises(ExpectError, match="indexes a field that is not a list"):
        compile_expect({"transStatus[0]": "Y"}, [RReq])
