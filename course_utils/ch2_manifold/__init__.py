"""Chapter 2 (notebook 02_manifold_learning): the curse of dimensionality, the manifold hypothesis,
geodesic distances, and classic 2-D maps (PCA, Isomap, LLE, t-SNE) next to the autoencoder.

- :mod:`.manifold`: the measurements of the notebook.
- :mod:`.widgets`: the notebook's live widgets.
- :mod:`.exercises`: the notebook's "Your turn" checker.
"""
