"""Networks used by more than one lesson, one per file, NumPy and PyTorch twins side by side (torch imported only by the *_torch modules)."""
