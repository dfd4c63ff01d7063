"""``python -m visualizer``: same as ``python main.py``."""
import sys

from visualizer.cli import main

if __name__ == "__main__":          # training processes (spawn) import the main module again
    sys.exit(main())
