"""The patient's own observations about one photo of a spot, and which of them are warning signs."""

from __future__ import annotations

from dataclasses import dataclass, fields

__all__ = ["QUESTIONS", "WARNING_SIGNS", "Answers", "warning_signs"]


@dataclass(frozen=True, slots=True)
class Answers:
    """The patient's own observations about one photo; None: not answered."""

    grown: bool | None = None
    changed: bool | None = None
    bleeds: bool | None = None
    itches: bool | None = None
    hurts: bool | None = None
    raised: bool | None = None


QUESTIONS = tuple(f.name for f in fields(Answers))

# Growth, a change of shape or colour, bleeding and itching: the changes that the 7-point checklist
# for melanoma (change in size, shape or colour; oozing or bleeding; change in sensation) and the
# "E" (evolving) of ABCDE ask about. In the patient's words, as a sentence goes on "the spot ...".
WARNING_SIGNS = {
    "grown": "has grown",
    "changed": "has changed in shape or colour",
    "bleeds": "bleeds",
    "itches": "itches",
}


def warning_signs(answers: Answers | None) -> list[str]:
    """The warning signs the patient answered yes to, in the patient's words ([] for none)."""
    if answers is None:
        return []
    return [words for question, words in WARNING_SIGNS.items() if getattr(answers, question) is True]
