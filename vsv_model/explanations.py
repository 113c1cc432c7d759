"""Explanations by concept: what an officer reads about a youth, for one request or a whole population.

Per youth and concept (`vsv_model.concepts`): the contribution (the sum of its features' SHAP values), the Dutch
sentence written from the youth's values (`vsv_model.wording`), and what happens to it:

- `reason`: a reason to discuss (it raises the chance, or it helps);
- `background`: age and school location, shown apart;
- `not_shown`: it lowers the chance only because of something the youth had no chance to do (no absence while
  not in school; no switches while out of school for a year or more), or its contribution is 0, or it would
  speak of a school career, diploma or school the data hold no record of (no school records at all: the `no_school_records` warning
  on the school situation says so);
- `flagged`: its features fail a data-quality check (`vsv_model.plausibility`): the warning takes its place.

Sentences are written once per distinct (concept, values, direction), never once per youth, so the same code
serves a one-youth request and a million-youth batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from vsv_model import row_codes
from vsv_model.columns import SMALL, text_column
from vsv_model.concepts import CONCEPT_NAMES, CONCEPTS, concept_contributions
from vsv_model.feature_spec import FEATURE_NAMES, LAST_DIPLOMA_CATEGORIES
from vsv_model.plausibility import CHECK_CODES, CHECKS, NO_SCHOOL_RECORDS, implausible
from vsv_model.risk_model import decode_value
from vsv_model.wording import CONTEXT, reason_sentence

TOP_REASONS = 5
DIRECTIONS = ("raises", "lowers")
REASON, BACKGROUND, NOT_SHOWN, FLAGGED = range(4)  # a concept's status for a youth, in showing order
ENROLLED, MONTHS_OUT = FEATURE_NAMES.index("enrolled"), FEATURE_NAMES.index("months_not_enrolled")
LAST_DIPLOMA, NO_DIPLOMA = FEATURE_NAMES.index("last_diploma"), LAST_DIPLOMA_CATEGORIES.index("geen")
GAP_CONCEPTS = ("schoolloopbaan", "diploma", "schoollocatie")  # what a youth without any school record cannot be told
OUT_OF_SCHOOL_MONTHS = 12  # out of school this long: "no switches" is no merit of the youth's


@dataclass
class Explained:
    """Per row and concept (columns in CONCEPTS order): contribution, sentence and status; per row the failed checks."""

    contributions: np.ndarray  # rows x concepts, calibrated log-odds
    sentence_codes: np.ndarray  # rows x concepts: positions in `texts`
    texts: np.ndarray  # the distinct sentences (object), each written once
    status: np.ndarray  # rows x concepts: REASON, BACKGROUND, NOT_SHOWN or FLAGGED
    flags: np.ndarray  # rows x CHECKS, bool

    @cached_property
    def sentences(self) -> np.ndarray:
        """rows x concepts, the sentences themselves (object)."""
        return self.texts[self.sentence_codes]


def explain_rows(matrix: np.ndarray, contributions: np.ndarray, record_flags: np.ndarray | None = None) -> Explained:
    """Concept contributions, sentences, statuses and data-quality flags for every row of a feature matrix;
    `record_flags` (rows x CHECKS) adds the checks only the records can fail (`plausibility.record_date_flags`)."""
    concepts = concept_contributions(contributions)
    flags = implausible(matrix) if record_flags is None else implausible(matrix) | record_flags
    codes, texts = np.empty(concepts.shape, dtype=np.int64), []
    for c, concept in enumerate(CONCEPTS):
        concept_codes, rendered = concept_sentences(matrix, concept, concepts[:, c])
        codes[:, c] = concept_codes + len(texts)
        texts += rendered
    return Explained(concepts, codes, np.array(texts + [""], dtype=object)[:-1], statuses(matrix, concepts, flags), flags)


def concept_sentences(matrix: np.ndarray, concept, contribution: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Per row the code of its sentence, and the sentences: written once per distinct combination of the values
    it reads and its direction."""
    names = (*concept.features, *CONTEXT.get(concept.name, ()))
    columns = [matrix[:, FEATURE_NAMES.index(n)] for n in names]
    keys = [np.nan_to_num(col, nan=-1.0) for col in columns] + [contribution > 0]
    codes, uniques = distinct_rows(keys)
    return codes, [reason_sentence(concept.name, decoded_values(names, key[:-1]), 1.0 if key[-1] else -1.0) for key in uniques]


def distinct_rows(keys: list[np.ndarray]) -> tuple[np.ndarray, list[tuple]]:
    """Codes of each row's key tuple and the distinct tuples (a dict for a request, pandas for a population)."""
    if len(keys[0]) < SMALL:
        seen: dict = {}
        codes = np.array([seen.setdefault(key, len(seen)) for key in zip(*(k.tolist() for k in keys))], dtype=np.int64)
        return codes, list(seen)
    codes, first = row_codes.distinct_rows(keys)
    return codes, list(zip(*(key[first].tolist() for key in keys)))


def decoded_values(names: tuple[str, ...], values) -> dict:
    return {name: decode_value(name, np.nan if v == -1.0 else v) for name, v in zip(names, values)}


def statuses(matrix: np.ndarray, concepts: np.ndarray, flags: np.ndarray) -> np.ndarray:
    """What happens to each row's concept: reason, background, not shown or flagged."""
    status = np.where(np.array([c.background for c in CONCEPTS])[None, :], BACKGROUND, REASON)
    status = np.broadcast_to(status, concepts.shape).astype(np.int8)
    status[concepts == 0] = NOT_SHOWN
    for rule in not_earned(matrix, concepts):
        status[rule] = NOT_SHOWN
    gap = flags[:, CHECK_CODES.index(NO_SCHOOL_RECORDS)]
    for concept in GAP_CONCEPTS:  # no "nooit", "geen diploma" or "school niet bekend" read out from missing data
        status[gap, CONCEPT_NAMES.index(concept)] = NOT_SHOWN
    for k, check in enumerate(CHECKS):
        status[flags[:, k], CONCEPT_NAMES.index(check.concept)] = FLAGGED
    return status


def not_earned(matrix: np.ndarray, concepts: np.ndarray) -> list[tuple[np.ndarray, int]]:
    """Helping reasons the youth had no chance to earn: no absence while not in school; no switches or dropout
    while out of school for a year or more (or never in school); having no diploma at all."""
    out = matrix[:, ENROLLED] == 0
    long_out = out & (np.isnan(matrix[:, MONTHS_OUT]) | (matrix[:, MONTHS_OUT] >= OUT_OF_SCHOOL_MONTHS))
    absence, career = CONCEPT_NAMES.index("verzuim"), CONCEPT_NAMES.index("schoolloopbaan")
    diploma = CONCEPT_NAMES.index("diploma")
    no_diploma = matrix[:, LAST_DIPLOMA] == NO_DIPLOMA
    return [(out & (concepts[:, absence] < 0), absence), (long_out & (concepts[:, career] < 0), career),
            (no_diploma & (concepts[:, diploma] < 0), diploma)]


def shown_order(explained: Explained) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the concept indices in showing order (reasons by size, then background by size, then the concepts
    not shown), and each concept's rank (0 reason, 1 background, 2 not shown)."""
    rank = np.minimum(explained.status, NOT_SHOWN).astype(np.int64)
    return np.argsort(rank * 1e9 - np.abs(explained.contributions), axis=1, kind="stable"), rank


def reason_columns(explained: Explained, k: int = TOP_REASONS) -> dict[str, np.ndarray]:
    """The batch file's explanation columns: the shown concepts in order (reason_{k}_concept, _sentence_nl,
    _contribution, _direction; empty where a youth has fewer), every concept's contribution, and the failed checks."""
    order, rank = shown_order(explained)
    rows = np.arange(len(order))[:, None]
    chosen = order[:, :k]
    shown = rank[rows, chosen] <= 1
    contributions = explained.contributions[rows, chosen]
    sentences = explained.sentence_codes[rows, chosen]
    columns = {}
    for r in range(chosen.shape[1]):  # text columns as codes into their few distinct values (missing: -1)
        columns[f"reason_{r + 1}_concept"] = text_column(CONCEPT_NAMES, np.where(shown[:, r], chosen[:, r], -1))
        columns[f"reason_{r + 1}_sentence_nl"] = text_column(explained.texts, np.where(shown[:, r], sentences[:, r], -1))
        columns[f"reason_{r + 1}_contribution"] = np.where(shown[:, r], contributions[:, r], np.nan)
        columns[f"reason_{r + 1}_direction"] = text_column(DIRECTIONS, np.where(shown[:, r], (contributions[:, r] <= 0).astype(int), -1))
    for c, name in enumerate(CONCEPT_NAMES):
        columns[f"contribution_{name}"] = explained.contributions[:, c]
    columns["data_quality"] = failed_checks(explained.flags)
    return columns


def failed_checks(flags: np.ndarray):
    """Per row, the codes of the failed checks joined by '; ' (empty when none), built once per distinct pattern."""
    codes, patterns = distinct_rows([flags[:, k] for k in range(flags.shape[1])]) if len(flags) else (np.zeros(0, int), [])
    return text_column(["; ".join(check.code for check, failed in zip(CHECKS, pattern) if failed) for pattern in patterns], codes)
