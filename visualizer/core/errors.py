"""Errors every layer may raise with a message for the user (Qt-free, engine-free)."""


class LessonConfigError(ValueError):
    """A combination of settings that cannot be built (e.g. a CSV with one class, CUDA absent), or a
    checkpoint whose arrays do not fit the model.

    The message is shown to the user as is, so it says what is wrong and what to change."""
