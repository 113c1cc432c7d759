"""The target group, defined once: who the Doorstroompunt follows and by which birthday the outcome is judged.

Today the office follows every youth of 18 up to 23 without a startkwalificatie, and the model estimates the
chance of no startkwalificatie before the 23rd birthday. A coming law change extends the group to 27, with the
outcome judged by 27. The group is a property of a trained model: it is saved with the model, and every stage
that uses a model (scoring, the service, the officers' page) takes the group from it and refuses a request for
another group, so the list and the API can never disagree about who is in scope.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


class TargetGroupMismatch(ValueError):
    """A request or setting asks for another target group than the model was trained for."""


@dataclass(frozen=True)
class TargetGroup:
    """Completed age in [min_age, max_age) and no startkwalificatie; outcome: none before the `outcome_age`-th birthday."""

    min_age: int = 18
    max_age: int = 23  # exclusive
    outcome_age: int = 23

    def __post_init__(self):
        if not 0 < self.min_age < self.max_age <= self.outcome_age:
            raise ValueError(f"a target group needs 0 < min_age < max_age <= outcome_age, got {self.min_age}, "
                             f"{self.max_age}, {self.outcome_age}")

    @property
    def label(self) -> str:
        """The outcome column: 1 when no startkwalificatie was obtained before the outcome age."""
        return f"no_sq_by_{self.outcome_age}"

    def describe(self) -> str:
        return f"ages {self.min_age}-{self.max_age - 1}, outcome by {self.outcome_age}"

    def describe_nl(self) -> str:
        return f"{self.min_age} tot {self.max_age} jaar"

    def to_dict(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict | None) -> TargetGroup:
        """A saved group; models saved before groups were recorded were all trained for today's group."""
        if not values:
            return CURRENT_LAW
        unknown = set(values) - {"min_age", "max_age", "outcome_age"}
        if unknown:
            raise ValueError(f"unknown target group field(s): {', '.join(sorted(unknown))}")
        return cls(**{k: int(v) for k, v in values.items()})

    def require(self, wanted: TargetGroup, what: str) -> None:
        """Refuse `what` when it asks for another group than this (the model's) one."""
        if wanted != self:
            raise TargetGroupMismatch(f"{what} asks for the target group {wanted.describe()}, but the model was trained "
                                      f"for {self.describe()}: train a model for that group, or use this model's group")


CURRENT_LAW = TargetGroup()
EXTENDED_TO_27 = TargetGroup(max_age=27, outcome_age=27)


def target_group_for(max_age: int) -> TargetGroup:
    """The group ending before `max_age`, with the outcome judged by that same age (23 today, 27 after the law change)."""
    return TargetGroup(CURRENT_LAW.min_age, max_age, max_age)
