"""Theme labels read like a resident's phrase, found word for word in the theme's ideas, and the grain of
themes follows the data: near-repeats make a theme, sub-themes reach the grain of the groups."""

from __future__ import annotations

import numpy as np
import pytest

from bot.demo import demo_statements
from facilitation.intelligence import clustering
from facilitation.intelligence.stopwords import STOP_WORDS
from facilitation.intelligence.theme_labels import PhraseReader, is_phrase_of
from facilitation.intelligence.theme_map import theme_colour

# Small campaigns rebuilt from the labels quoted as bad in issue 15, each one theme's ideas.
QUOTED_CASES = {
    "Brighter lamps, gate, lamps main": [
        "Brighter lamps along the main path",
        "Put brighter lamps along the main path near the gate",
        "The lamps along the main path are too dim at night",
        "Brighter lamps at the gate, please",
    ],
    "Morning, phone tree, tree senior": [
        "A phone tree so every senior gets a call on storm mornings",
        "Start a phone tree for seniors living alone",
        "Call seniors each morning after a snowstorm with a phone tree",
        "A morning phone tree to check on senior neighbours",
    ],
    "Library storms, soup, warm": [
        "Keep the library open as a warm room during storms",
        "Serve hot soup at the library on the coldest days",
        "A warm room with soup at the library during winter storms",
        "Open the library late when storms cut the power, warm and with soup",
    ],
    "Seniors, internet sign, number": [
        "Seniors without internet need a phone number to sign up",
        "Let seniors sign up by phone, not only on the internet",
        "A phone number for seniors who cannot sign up on the internet",
        "Paper forms for seniors without internet",
    ],
    "Aînés courses, centre, chaise gratuits": [
        "Des courses gratuites pour les aînés du quartier",
        "Une navette gratuite vers le centre pour les courses des aînés",
        "Prêter une chaise roulante aux aînés au centre commercial",
        "Livraison gratuite des courses pour les aînés",
    ],
    "Bancs parcours, bien, matin": [
        "Des bancs le long du parcours pour se reposer le matin",
        "Ajouter des bancs sur le parcours de marche",
        "Le parcours est bien mais il manque de bancs",
        "Plus de bancs à l'ombre sur le parcours du matin",
    ],
}


def readable(label: str, texts: list[str]) -> bool:
    """A phrase of the ideas, in one clause, no word twice, no stop word at either end."""
    words = label.casefold().replace("'", " ").replace("’", " ").split()
    return (
        is_phrase_of(label, texts)
        and "," not in label
        and len(set(words)) == len(words)
        and words[0] not in STOP_WORDS
        and words[-1] not in STOP_WORDS
    )


def test_a_phrase_never_bridges_a_removed_word_or_a_comma():
    phrases = PhraseReader()("Brighter lamps along the main path, gate")
    assert "lamps main" not in phrases and "path gate" not in phrases
    assert {"brighter lamps", "main path", "path"} <= set(phrases)
    assert "éclairage des rues" in PhraseReader()("Améliorer l'éclairage des rues")


def test_a_label_is_written_as_its_own_ideas_write_it():
    """The campaign writes "seniors’ centre" most often; a theme whose ideas say "seniors centre" is
    labelled as they say it, else its label would not be found in its ideas."""
    reader = PhraseReader()
    elsewhere = [
        "Longer hours at the seniors’ centre",
        "Paint the seniors’ centre",
        "The seniors’ centre roof",
    ]
    own = ["More seats at the seniors centre", "A bus to the seniors centre"]
    for text in elsewhere + own:
        reader(text)
    assert reader.as_written("seniors centre") == "seniors’ centre"
    assert reader.as_written("seniors centre", own) == "seniors centre"
    assert is_phrase_of(reader.as_written("seniors centre", own), own)


@pytest.mark.embeddings
@pytest.mark.parametrize("bad", list(QUOTED_CASES))
def test_labels_quoted_as_bad_come_out_as_phrases_of_the_ideas(embedder, bad):
    texts = QUOTED_CASES[bad]
    vectors = embedder.encode(texts)
    found = clustering.find_themes(vectors, texts, encode=embedder.encode)
    assert found.themes, texts
    for theme in found.themes:
        members = [texts[i] for i in theme.members]
        assert theme.label.text != bad and readable(theme.label.text, members), theme.label
        assert set(theme.label.rows) <= set(theme.members)


@pytest.mark.embeddings
def test_demo_labels_are_phrases_and_a_name_is_not_cut_short(embedder):
    texts = demo_statements()
    vectors = embedder.encode(texts)
    found = clustering.find_themes(vectors, texts, encode=embedder.encode)
    levels = [level for theme in found.themes for level in (theme, *theme.subthemes)]
    for level in levels:
        assert readable(level.label.text, [texts[i] for i in level.members]), level.label
    assert "Bowling" not in {level.label.text for level in levels}
    assert 5 <= len(found.themes) <= 15


def unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_a_pair_of_near_repeats_makes_a_theme_rather_than_other():
    rng = np.random.default_rng(3)
    centres = np.eye(16)[:3]
    rows = [centre + 0.05 * rng.standard_normal(16) for centre in centres for _ in range(10)]
    rows += [np.eye(16)[9] + 0.02 * rng.standard_normal(16) for _ in range(2)]
    texts = [f"{topic} {n}" for topic in ("benches seats", "trees shade", "buses night") for n in range(10)]
    texts += ["Ice grips for seniors", "Free ice grips for seniors"]
    found = clustering.find_themes(unit(np.array(rows)), texts)
    pair = [theme for theme in found.themes if set(theme.members) == {30, 31}]
    assert pair and 30 not in found.other, found.other
    assert readable(pair[0].label.text, texts[30:]) and "grips" in pair[0].label.text.lower()


def test_a_few_hundred_ideas_give_a_readable_handful_of_themes_and_fine_sub_themes():
    """400 ideas in 40 tight groups (no number given): 5 to 15 themes, and sub-themes at the groups' grain."""
    rng = np.random.default_rng(4)
    centres = unit(rng.standard_normal((40, 64)))
    rows = np.repeat(centres, 10, axis=0) + 0.05 * rng.standard_normal((400, 64))
    texts = [f"topic{group} idea" for group in range(40) for _ in range(10)]
    found = clustering.find_themes(unit(rows), texts)
    assert 5 <= len(found.themes) <= 15
    subthemes = [sub for theme in found.themes for sub in theme.subthemes]
    assert len(subthemes) >= 30


def test_ideas_of_a_tight_sub_theme_stay_in_their_theme_however_wide_the_theme():
    """800 ideas in 80 tight groups: themes of several groups are wide, each idea far from its theme's
    centre, yet every idea says what the nine others of its group say; none goes to "other"."""
    rng = np.random.default_rng(4)
    centres = unit(rng.standard_normal((80, 256)))
    rows = np.repeat(centres, 10, axis=0) + 0.05 * rng.standard_normal((800, 256))
    texts = [f"topic{group} idea" for group in range(80) for _ in range(10)]
    found = clustering.find_themes(unit(rows), texts)
    assert found.other == ()
    subthemes = [set(sub.members) for theme in found.themes for sub in theme.subthemes]
    assert sorted(map(min, subthemes)) == list(range(0, 800, 10))
    assert all(len(sub) == 10 for sub in subthemes)


def test_a_theme_keeps_its_colour_on_the_map_whatever_its_rank():
    assert theme_colour(7) == theme_colour(7) and theme_colour(7) != theme_colour(8)
    assert all(len(set(theme_colour(i)[:3])) > 1 for i in range(40))  # no theme in the grey of "other"
