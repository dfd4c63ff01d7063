"""Qt-free PyTorch twin of the NumPy engine: device choice, the MLP family, the classifier facade.

Imported only when a lesson runs with the torch engine (importing torch costs seconds)."""
