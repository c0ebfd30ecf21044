"""The food table: every row sourced, seed 002 table 1 complete, search in English and Dutch."""

from __future__ import annotations

import pytest

from cobalamin.errors import InputError
from cobalamin.nutrition.foods import find_food, food_table, search

# Seed 002 table 1, every row (Dutch names as printed)
TABLE_1 = {
    "beef_liver": "runderlever",
    "lean_pork": "mager varkensvlees",
    "lean_beef": "mager rundvlees",
    "lean_lamb": "mager lamsvlees",
    "lean_mutton": "mager schapenvlees",
    "chicken_breast": "kipfilet",
    "turkey_breast": "kalkoenfilet",
    "cod": "kabeljauw",
    "sardines": "sardienen",
    "trout": "forel",
    "mussels": "mosselen (gekookt, zonder schelp)",
    "semi_skimmed_milk": "halfvolle melk",
    "low_fat_yoghurt": "magere yoghurt",
    "gouda_cheese": "goudse kaas",
    "egg": "ei (gekookt)",
}


def test_every_value_names_a_known_source() -> None:
    table = food_table()
    for food in table.foods:
        assert food.values, food.id
        for value in food.values:
            assert value.source in table.sources, (food.id, value.source)


def test_seed_table_1_is_complete() -> None:
    ids = {f.id: f for f in food_table().foods}
    for food_id, dutch in TABLE_1.items():
        assert food_id in ids
        assert ids[food_id].nl == dutch


def test_table_1_values_as_printed() -> None:
    table = food_table()
    liver = find_food("beef liver", "f")
    assert [v.ug for v in liver.values] == [129.5, 83]
    milk = find_food("semi-skimmed milk", "f")
    assert table.preferred_value(milk).ug == 0.7  # NEVO column
    assert milk.bioavailability is not None and milk.bioavailability.value == 0.65


def test_plant_foods_are_reported_but_not_counted() -> None:
    for name in ("nori", "tempeh", "green tea"):
        food = find_food(name, "f")
        assert food.category == "plant"
        assert food.counted is False


def test_search_english_and_dutch() -> None:
    assert search("melk")[0].id == "semi_skimmed_milk"
    assert search("milk")[0].id == "semi_skimmed_milk"
    assert find_food("KIPFILET", "f").id == "chicken_breast"
    assert {f.id for f in search("tea")} >= {"green_tea_leaves", "black_tea_leaves"}


def test_unknown_food_names_the_field() -> None:
    with pytest.raises(InputError) as err:
        find_food("unicorn steak", "meals[0].items[1].food")
    assert err.value.field == "meals[0].items[1].food"


def test_cooking_losses_from_the_seed() -> None:
    losses = food_table().cooking_losses
    assert losses["meat_preparation"].loss == 0.33
    assert losses["milk_boiling"].loss == (0.30, 0.50)
