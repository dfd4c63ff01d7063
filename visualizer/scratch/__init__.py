"""Qt-free NumPy engine written from scratch: layers, losses, optimizers, initialisation, gradient check.

Follows Koki Saitoh, *Deep Learning from Scratch* (O'Reilly Japan, 2016), chapters 4 to 6: every layer
keeps parallel lists ``params`` and ``grads``, ``forward`` caches what ``backward`` needs, and
``backward(dout)`` writes the gradients in place and returns the gradient with respect to its input.
Every layer and optimizer is tested against PyTorch on the same weights (``tests/scratch``).
"""
