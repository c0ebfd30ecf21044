"""The public surface is deliberate: a change to it shows up here."""

import cobalamin


def test_public_names() -> None:
    assert sorted(cobalamin.__all__) == cobalamin.__all__
    for name in cobalamin.__all__:
        assert hasattr(cobalamin, name), name
    assert {"assess", "load_pack", "parse_case", "cb12", "builtin_pack_ids"} <= set(
        cobalamin.__all__
    )
