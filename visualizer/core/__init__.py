"""Qt-free core: lesson protocol, hyperparameter specs, metric history, training session, data, export."""
