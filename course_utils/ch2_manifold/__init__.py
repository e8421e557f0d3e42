"""Chapter 2 (notebook 02_manifold_learning): the curse of dimensionality, the manifold hypothesis,
geodesic distances, and classic 2-D maps (PCA, Isomap, LLE, t-SNE) next to the autoencoder.

- :mod:`.manifold`: the measurements and widgets of the notebook.
"""
