"""Qt-free lessons for the pacing tests (importable by the training process): the toy of the core tests
with a watchable pace, a natural stop and a narrative whose steps train."""
from visualizer.core.lesson import LessonInfo, NarrativeStep, Pacing
from tests.core.toy_lesson import ToyLesson


class PacedToyLesson(ToyLesson):
    """The toy at 100 steps/s, stopping after 5 epochs (50 steps); step 2 trains 60 more steps, step 3
    needs a model trained to step 30, step 4 rebuilds with a large learning rate and trains (diverges)."""

    info = LessonInfo("paced_toy", "Paced toy", "Foundations", "none", engines=("numpy",),
                      pacing=Pacing(speed=100.0, stop=5, unit="epochs"))
    narrative = (
        NarrativeStep("Start", "Nothing trains yet."),
        NarrativeStep("Train", "We trained 60 steps.", run_steps=60),
        NarrativeStep("Trained", "A picture of the trained model.", train_until=30),
        NarrativeStep("Too fast", "A learning rate of 10 diverges.", set_params={"lr": 10.0}, run_steps=200),
    )
