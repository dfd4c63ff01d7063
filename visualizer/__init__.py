"""Deep Learning Visualizer: watch deep learning models learn."""

__version__ = "0.1.0"
