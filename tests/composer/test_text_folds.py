"""One text fold per purpose: what each folds, and where they differ on purpose."""

from __future__ import annotations

from twinchat.composer.similarity import fold_for_similarity
from twinchat.composer.verify.samples import fold_for_grounding
from twinchat.inventory.catalog import feature_key
from twinchat.inventory.tools.service import fold_for_search


def test_grounding_folds_width_space_and_case_but_keeps_punctuation() -> None:
    assert fold_for_grounding("ＤＤ2611　1263 7359") == "dd261112637359"
    assert fold_for_grounding("深圳市, 南山区") == "深圳市,南山区"


def test_grounding_folds_only_full_width_ascii_not_all_compatibility_forms() -> None:
    assert fold_for_grounding("①㎏") == "①㎏"
    assert fold_for_search("①㎏") == "1kg"


def test_search_folds_width_space_and_case_but_keeps_punctuation() -> None:
    assert fold_for_search("屏幕显示 Ｅ０３,无法充电") == "屏幕显示e03,无法充电"


def test_similarity_drops_punctuation_and_symbols_too() -> None:
    assert fold_for_similarity("深圳市 南山区,ＡＢ!") == "深圳市南山区ab"
    assert fold_for_similarity("深圳市,南山区") == fold_for_similarity("深圳市 南山区")
    assert fold_for_grounding("深圳市,南山区") != fold_for_grounding("深圳市 南山区")


def test_a_feature_key_folds_units() -> None:
    assert feature_key("16GB") == feature_key("16g") == feature_key(" 16 G") == "16G"
    assert feature_key("5600MHz") == "5600"
    assert feature_key("（双通道）") == "(双通道)"
