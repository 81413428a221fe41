"""Exercise checkers: ``checks.exercise_1_1(my_function)`` prints one line of feedback.

Each checker runs the learner's answer on fixed cases and answers "not attempted yet",
"✓ ... passed (n cases)" or "✗ ..." with the first failing case. Checkers never raise.
"""

from eventlab.checks._core import Case, Feedback, check_function, check_value
from eventlab.checks.nb00 import exercise_0_1
from eventlab.checks.nb01 import exercise_1_1, exercise_1_2, exercise_1_3
from eventlab.checks.nb02 import exercise_2_1, exercise_2_2, exercise_2_3

__all__ = [
    "Case",
    "Feedback",
    "check_function",
    "check_value",
    "exercise_0_1",
    "exercise_1_1",
    "exercise_1_2",
    "exercise_1_3",
    "exercise_2_1",
    "exercise_2_2",
    "exercise_2_3",
]
