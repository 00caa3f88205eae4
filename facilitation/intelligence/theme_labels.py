"""Theme keywords and labels: phrases taken word for word from a theme's own ideas.

A candidate phrase is one to `PHRASE_WORDS` words that follow each other in one idea, inside one clause
(punctuation and #hashtags break a phrase, and a removed word is never bridged), with no word twice and
no stop word at either end ("lamps along the main path" gives "main path" and "lamps along the main",
never "lamps main"). French elisions are read as part of the word they join: "l'éclairage" counts as
"éclairage", and "déneigement d'hiver" is one phrase.

Candidates are ranked by class-based TF-IDF (each theme's ideas as one document), then the first
`CANDIDATES` are re-ranked by how close each phrase is in meaning to the theme's centre, with maximal
marginal relevance so that the keywords say different things. The label is the first keyword, or a
longer phrase holding it that enough of the theme's ideas use ("Bowling Green" rather than "Bowling");
when no phrase is used by enough ideas or close enough to the centre, the opening words of the most
central idea stand as the label. Each label says how it was made and which ideas it comes from
(`Label.method`, `Label.rows`): it is picked by the program, never written by a person.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer

from facilitation.intelligence.stopwords import STOP_WORDS

PHRASE_WORDS = 3
CANDIDATES = 10
"""Phrases of a theme, by class-based TF-IDF, re-ranked by meaning for its keywords and label."""
KEYWORDS = 6
KEYWORD_SAMPLE = 300
"""Ideas of a theme read for its keywords: enough for a stable vocabulary, and fast with many ideas."""
DIVERSITY = 0.4
"""Weight of the difference from keywords already chosen against closeness to the theme (maximal
marginal relevance)."""
LABEL_SUPPORT_SHARE = 0.1
"""A label is used by at least this share of its theme's ideas (and by two of them)."""
LONGER_SUPPORT_SHARE = 0.5
"""A longer phrase holding the best keyword replaces it when used by at least this share of its ideas."""
LABEL_MIN_SIMILARITY = 0.25
"""Below this closeness to the theme's centre (cosine), no phrase says it: the opening words do."""
SIMILARITY_TIE = 0.03
"""Phrases this close in closeness to the centre are told apart by how many ideas use them."""
OPENING_WORDS = 6
PROVENANCE_IDEAS = 5
"""Ideas a label names as its source, at most."""
PHRASE = "phrase"
"""`Label.method`: a phrase found in the theme's ideas."""
OPENING = "opening"
"""`Label.method`: the opening words of the theme's most central idea."""

_BREAK = re.compile(r"#\w+|https?://\S+|[.,;:!?()\[\]{}\"“”«»…/|+=*&\n–—]|\s-\s")
_ELISION = r"(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu)['’]"
_TOKEN = re.compile(rf"(?i:{_ELISION})?([^\W_]+(?:['’-][^\W_]+)*)")


@dataclass(frozen=True)
class Label:
    text: str
    method: str
    rows: tuple[int, ...]
    """Rows of the ideas the label was taken from."""


class PhraseReader:
    """Reads ideas into candidate phrases, remembering how each was written for the label."""

    def __init__(self) -> None:
        self.written: dict[str, Counter[str]] = {}

    def __call__(self, text: str) -> list[str]:
        """The distinct candidate phrases of one idea, lower-cased (one idea counts once per phrase)."""
        found: dict[str, None] = {}
        for clause in _BREAK.split(text):
            tokens = list(_TOKEN.finditer(clause))
            words = [token.group(1).casefold() for token in tokens]
            ends = [_may_end(word) for word in words]
            for start in range(len(tokens)):
                if not ends[start]:
                    continue
                for end in range(start, min(start + PHRASE_WORDS, len(tokens))):
                    if words[end] in words[start:end]:
                        break
                    if ends[end]:
                        key = " ".join(words[start : end + 1])
                        found[key] = None
                        written = " ".join(clause[tokens[start].start(1) : tokens[end].end()].split())
                        counts = self.written.get(key)
                        if counts is None:
                            counts = self.written[key] = Counter()
                        counts[written] += 1
        return list(found)

    def as_written(self, key: str, among: Sequence[str] = ()) -> str:
        """The phrase as residents wrote it most often; with `among`, of the forms found in those texts
        (a theme's label is written as in its own ideas: "residents’ parking" elsewhere is not a phrase
        of ideas that say "residents parking")."""
        if key not in self.written:
            return key
        forms = [form for form, _count in self.written[key].most_common()]
        return next((form for form in forms if is_phrase_of(form, among)), forms[0]) if among else forms[0]


def _may_end(word: str) -> bool:
    """A word that may begin or end a phrase: not a stop word, and more than a digit or a letter."""
    return word not in STOP_WORDS and len(word) > 1 and not word.isdigit()


@dataclass(frozen=True)
class ClassTerms:
    """One theme's candidate phrases, best first by class-based TF-IDF, with the ideas using each."""

    terms: tuple[str, ...]
    rows: tuple[np.ndarray, ...]
    """For each term, the rows of the theme's ideas (in the sample read) that use it."""
    read: int
    """Ideas of the theme read."""


def class_terms(
    texts: Sequence[str], reader: PhraseReader, *levels: tuple[np.ndarray, int]
) -> list[list[ClassTerms]]:
    """Candidate phrases of each class 0..count-1 of each level, by class-based TF-IDF.

    A level is (class of each text, number of classes); class -1 takes part as background. Each class's
    texts (the first `KEYWORD_SAMPLE` of them) form one document; a phrase weighs the share of the
    class's ideas using it times log(1 + average ideas per class / the ideas using it in all classes).
    The texts are read once for all levels.
    """
    samples = [
        np.flatnonzero(classes == label)[:KEYWORD_SAMPLE]
        for classes, count in levels
        for label in range(-1, count)
    ]
    rows = np.unique(np.concatenate(samples)) if samples else np.array([], dtype=int)
    vectorizer = CountVectorizer(analyzer=reader, binary=True)
    try:
        counts = vectorizer.fit_transform([texts[i] for i in rows]).tocsc()
    except ValueError:  # no text, or nothing but stop words, emoji or digits
        return [[ClassTerms((), (), 0)] * count for _classes, count in levels]
    vocabulary = vectorizer.get_feature_names_out()
    return [_level_terms(counts, rows, classes[rows], count, vocabulary) for classes, count in levels]


def _level_terms(
    counts: sparse.csc_matrix, rows: np.ndarray, classes: np.ndarray, count: int, vocabulary: np.ndarray
) -> list[ClassTerms]:
    if count == 0:
        return []
    position = np.zeros(len(classes), dtype=int)
    kept = np.zeros(len(classes), dtype=bool)
    for label in range(-1, count):
        members = np.flatnonzero(classes == label)[:KEYWORD_SAMPLE]
        position[members], kept[members] = label % (count + 1), True
    membership = sparse.csr_matrix(
        (np.ones(kept.sum()), (position[kept], np.flatnonzero(kept))), shape=(count + 1, len(classes))
    )
    per_class = np.asarray((membership @ counts).todense())
    read = np.asarray(membership.sum(axis=1)).ravel()
    average = read[read > 0].mean() if (read > 0).any() else 1.0
    idf = np.log(1 + average / np.maximum(per_class.sum(axis=0), 1))
    scores = per_class / np.maximum(read[:, None], 1) * idf
    result = []
    for label in range(count):
        order = [i for i in np.argsort(-scores[label], kind="stable")[:CANDIDATES] if per_class[label, i] > 0]
        in_class = kept & (position == label)
        users = []
        for i in order:
            using = counts[:, i].nonzero()[0]
            users.append(rows[using[in_class[using]]])
        result.append(ClassTerms(tuple(vocabulary[i] for i in order), tuple(users), int(read[label])))
    return result


Encode = Callable[[Sequence[str]], np.ndarray]


def phrase_vectors(
    terms: Iterable[ClassTerms], reader: PhraseReader, embeddings: np.ndarray, encode: Encode | None
) -> Callable[[ClassTerms, int], np.ndarray]:
    """How to place a theme's term in the space of the ideas: the phrase encoded by the model (all at
    once), or without one the centre of the ideas using it."""
    if encode is None:
        return lambda found, index: _unit(embeddings[found.rows[index]].mean(axis=0))
    keys = sorted({term for found in terms for term in found.terms})
    vectors = encode([reader.as_written(key) for key in keys]) if keys else np.zeros((0, 1))
    row_of = {key: row for row, key in enumerate(keys)}
    return lambda found, index: vectors[row_of[found.terms[index]]]


def keywords_and_label(
    found: ClassTerms,
    vector_of: Callable[[ClassTerms, int], np.ndarray],
    centre: np.ndarray,
    reader: PhraseReader,
    texts: Sequence[str],
    central_row: int,
    taken: set[str],
) -> tuple[tuple[str, ...], Label]:
    """The theme's keywords (most telling first, each saying something the others do not) and its label.

    `texts` are all the ideas (rows as in `found`), `central_row` the theme's most central one.
    `taken` holds labels already given (lower-cased): a theme does not repeat a larger one's label, nor
    a piece of it (a sub-theme of "Bowling Green" is not "Bowling")."""
    if not found.terms:
        return (), opening_label(texts[central_row], central_row)
    vectors = np.array([vector_of(found, index) for index in range(len(found.terms))])
    relevance = vectors @ centre
    keywords = tuple(found.terms[i] for i in _mmr(vectors, relevance)[:KEYWORDS])
    needed = max(2, math.ceil(LABEL_SUPPORT_SHARE * found.read)) if found.read > 1 else 1
    eligible = [
        i
        for i in np.argsort(-relevance, kind="stable")
        if len(found.rows[i]) >= needed
        and relevance[i] >= LABEL_MIN_SIMILARITY
        and not any(f" {found.terms[i]} " in f" {label} " for label in taken)
    ]
    if not eligible:
        return keywords, opening_label(texts[central_row], central_row)
    # Of the phrases about as close as the closest, the one most ideas use: a label that does not turn
    # on the model's last digits (they vary with the batch a phrase is encoded in).
    close = [i for i in eligible if relevance[i] >= relevance[eligible[0]] - SIMILARITY_TIE]
    best = max(close, key=lambda i: (len(found.rows[i]), -i))
    longer = [
        i
        for i in eligible
        if f" {found.terms[best]} " in f" {found.terms[i]} "
        and len(found.rows[i]) >= LONGER_SUPPORT_SHARE * len(found.rows[best])
    ]
    best = max(longer, key=lambda i: (len(found.terms[i].split()), len(found.rows[i])))
    text = _capitalised(reader.as_written(found.terms[best], [texts[row] for row in found.rows[best]]))
    return keywords, Label(text, PHRASE, tuple(int(row) for row in found.rows[best][:PROVENANCE_IDEAS]))


def _mmr(vectors: np.ndarray, relevance: np.ndarray) -> list[int]:
    """All terms in maximal-marginal-relevance order: close to the theme, unlike those before."""
    left = list(range(len(vectors)))
    chosen = [left.pop(int(np.argmax(relevance)))]
    while left:
        redundancy = (vectors[left] @ vectors[chosen].T).max(axis=1)
        scores = (1 - DIVERSITY) * relevance[left] - DIVERSITY * redundancy
        chosen.append(left.pop(int(np.argmax(scores))))
    return chosen


def opening_label(text: str, row: int) -> Label:
    """The opening words of an idea, from its first word that is not a stop word, up to its first
    punctuation or `OPENING_WORDS` words, without a stop word at the end."""
    for clause in _BREAK.split(text):
        tokens = list(_TOKEN.finditer(clause))
        words = [token.group(1).casefold() for token in tokens]
        start = next((i for i, word in enumerate(words) if _may_end(word)), None)
        if start is None:
            continue
        end = min(start + OPENING_WORDS, len(tokens)) - 1
        while not _may_end(words[end]):
            end -= 1
        opening = " ".join(clause[tokens[start].start(1) : tokens[end].end()].split())
        return Label(_capitalised(opening), OPENING, (row,))
    return Label("…", OPENING, (row,))


def provenance(method: str, idea_ids: Iterable[int]) -> dict[str, object]:
    """How a label was made, as stored with it: the method and the ideas it was taken from."""
    return {"method": method, "ideas": [int(i) for i in idea_ids]}


def label_from_keywords(keywords: Sequence[str], ideas: Mapping[int, str]) -> tuple[str, dict[str, object]]:
    """A label remade from stored keywords (once ideas are deleted): the first keyword, with the ideas
    of `ideas` (id to text) it is found in."""
    if not keywords:
        return "…", provenance(PHRASE, ())
    sources = [idea_id for idea_id, text in ideas.items() if is_phrase_of(keywords[0], [text])]
    return _capitalised(keywords[0]), provenance(PHRASE, sources[:PROVENANCE_IDEAS])


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / (np.linalg.norm(vector) or 1.0)


def is_phrase_of(label: str, texts: Iterable[str]) -> bool:
    """Whether `label` is found word for word (case aside) in one of `texts`, within one clause."""
    wanted = re.compile(rf"(?<!\w){re.escape(' '.join(label.casefold().split()))}(?!\w)")
    return any(
        wanted.search(" ".join(clause.casefold().split())) for text in texts for clause in _BREAK.split(text)
    )
