from acs.logs import mask_pan, scrub


def test_mask_pan_keeps_first_six_and_last_four() -> None:
    assert mask_pan("4016000000000012") == "401600******0012"
    assert mask_pan("371000000000019") == "371000*****0019"
    assert mask_pan("12") == "**"


def test_scrub_masks_pans_that_slip_into_an_event() -> None:
    event = {
        "msg": "card 4016000000000012 failed",
        "nested": {"pans": ["5105000000000011"]},
        "n": 5,
    }
    cleaned = scrub(event)
    assert "4016000000000012" not in str(cleaned) and "5105000000000011" not in str(cleaned)
    assert cleaned["msg"] == "card 401600******0012 failed"
    assert cleaned["n"] == 5
