"""Responses: scored youths as the API and the page return them (probability, risk category and its meaning, the
advised route and why it differs from the risk, the reasons by concept, the background, data-quality warnings, and
the model that gave them)."""

from __future__ import annotations

import numpy as np

from serving.reasons import reason_objects
from serving.schemas import Explanation, ScoredYouth, YouthInput
from vsv_model.concepts import CONCEPT_NAMES
from vsv_model.explanations import explain_rows
from vsv_model.feature_spec import FEATURE_NAMES
from vsv_model.policy import RISK_CATEGORY_LABELS_NL, TIER_LABELS_NL, approach_note_nl, route_for
from vsv_model.risk_model import decode_value
from vsv_model.wording import probability_in_words, risk_nl


def scored_youths(youths: list[YouthInput], served, prepared, contributions: np.ndarray, base: np.ndarray,
                  log_odds: np.ndarray, probability: np.ndarray, explain: bool) -> list:
    """One `ScoredYouth` (or `Explanation`, with every contribution and the base value) per youth, in request order."""
    tiers = served.model.tiers(probability)
    categories = served.model.risk_categories(probability)
    explained = explain_rows(prepared.matrix, contributions, prepared.record_flags)
    per_row = reason_objects(explained, prepared.matrix, prepared.as_of)
    outcome_age = served.group.outcome_age
    identity = {"model_version": served.version, "model_run_id": served.run_id, "model_fingerprint": served.fingerprint}
    results = []
    for r, youth in enumerate(youths):
        route = route_for(tiers[r])
        reasons, background, data_quality = per_row[r]
        category = categories[r]
        common = dict(
            youth_id=youth.youth_id, as_of=prepared.as_of[r], kind=youth.kind, probability=float(probability[r]), risk_category=category,
            risk_category_nl=RISK_CATEGORY_LABELS_NL[category],
            risk_category_meaning_nl=served.model.categories.meaning_nl(category, outcome_age), tier=tiers[r],
            tier_nl=TIER_LABELS_NL[tiers[r]], route=route.code, route_nl=route.label_nl, intensity_nl=route.intensity_nl,
            approach_note_nl=approach_note_nl(category, tiers[r]),
            risk_nl=risk_nl(outcome_age), probability_nl=probability_in_words(float(probability[r]), outcome_age),
            reasons=reasons, background=background, data_quality=data_quality, warnings=prepared.warnings[r],
            warnings_nl=prepared.warnings_nl[r], **identity)
        if explain:
            values = [decode_value(name, prepared.matrix[r, j]) for j, name in enumerate(FEATURE_NAMES)]
            results.append(Explanation.model_construct(
                **common, log_odds=float(log_odds[r]), base_value=float(base[r]),
                concept_contributions=dict(zip(CONCEPT_NAMES, explained.contributions[r].tolist())),
                contributions={n: float(c) for n, c in zip(FEATURE_NAMES, contributions[r])},
                features=dict(zip(FEATURE_NAMES, values))))
        else:
            results.append(ScoredYouth.model_construct(**common))
    return results
