"""Lessons: one sub-package per lesson, each exposing ``LESSON`` (a visualizer.core.lesson.Lesson subclass)."""
