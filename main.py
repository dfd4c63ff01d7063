"""Start Deep Learning Visualizer: ``python main.py`` (window) or ``python main.py --help``."""
import sys

from visualizer.cli import main

if __name__ == "__main__":
    sys.exit(main())
