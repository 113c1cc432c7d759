"""Concepts: the facts an officer discusses with a youth, each made of the model features that describe it together.

Why group: TreeSHAP splits one fact over correlated features, sometimes with opposite signs. "Not in school" is
`enrolled = 0`, `current_education = geen`, `learning_path = geen` and `months_not_enrolled`: read one column at a
time, an officer could hear "being enrolled lowers the risk" and "having no current education raises it" about
the same youth. A concept's contribution is the sum of its features' SHAP values, so the explanation stays
exactly additive (base value + sum over concepts = calibrated log-odds), and its sentence is written from the
youth's values of all its features at once (`vsv_model.wording`), so it cannot contradict itself.

Why these groups:
- schoolsituatie: whether the youth is in school now, in which education and learning path, or for how long not;
- verzuim: every absence signal (hours in three windows, reports, lateness, how long ago the last report was);
  the windows overlap, so their SHAP values only make sense together;
- schoolloopbaan: how the school career went (switches, earlier dropout, the recent vo->mbo step);
- diploma: the highest step already taken;
- leeftijd and schoollocatie: background. Nobody can change them and they are not reasons to discuss; they are
  shown apart, so age does not lead the conversation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vsv_model.feature_spec import FEATURE_NAMES, FEATURES_BY_NAME


@dataclass(frozen=True)
class Concept:
    name: str
    label_nl: str
    features: tuple[str, ...]
    background: bool  # shown apart from the reasons to discuss

    @property
    def changeable(self) -> bool:
        """Whether an officer's approach can change it: any of its features can."""
        return any(FEATURES_BY_NAME[f].changeable for f in self.features)


CONCEPTS: tuple[Concept, ...] = (
    Concept("schoolsituatie", "Schoolsituatie", ("enrolled", "current_education", "learning_path", "months_not_enrolled"), False),
    Concept("verzuim", "Verzuim", ("absence_hours_4w", "absence_hours_13w", "absence_hours_52w", "absence_reports_52w",
                                   "late_reports_52w", "weeks_since_last_report"), False),
    Concept("schoolloopbaan", "Schoolloopbaan", ("school_switches", "school_switches_2y", "dropout_episodes",
                                                 "vo_mbo_transition_1y"), False),
    Concept("diploma", "Diploma", ("last_diploma",), False),
    Concept("leeftijd", "Leeftijd", ("age",), True),
    Concept("schoollocatie", "Schoollocatie", ("school_municipality",), True),
)
CONCEPT_NAMES: tuple[str, ...] = tuple(c.name for c in CONCEPTS)
CONCEPTS_BY_NAME: dict[str, Concept] = {c.name: c for c in CONCEPTS}
CONCEPT_OF_FEATURE: dict[str, str] = {f: c.name for c in CONCEPTS for f in c.features}
# (features x concepts) 0/1: contributions @ MEMBERSHIP sums each concept's features.
MEMBERSHIP = np.array([[float(CONCEPT_OF_FEATURE[f] == c.name) for c in CONCEPTS] for f in FEATURE_NAMES])


def concept_contributions(contributions: np.ndarray) -> np.ndarray:
    """Per row, each concept's contribution: the sum of its features' SHAP values (calibrated log-odds)."""
    return np.asarray(contributions, dtype=np.float64) @ MEMBERSHIP


def feature_positions(concept: Concept) -> list[int]:
    return [FEATURE_NAMES.index(f) for f in concept.features]
