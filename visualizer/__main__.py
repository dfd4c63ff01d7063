"""``python -m visualizer``: same as ``python main.py``."""
import sys

from visualizer.cli import main

sys.exit(main())
