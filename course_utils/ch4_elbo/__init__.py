"""Chapter 4, first half (notebook 04_elbo): the generative model and the ELBO, verified numerically.

- :mod:`.linear_gaussian`: a linear-Gaussian model whose log p(x) and posterior are exact.
- :mod:`.quadrature`: log p(x) of a 2-D latent model by grid quadrature.
- :mod:`.prior_map`: Doersch's ring (a simple prior mapped by g) and fitted maps.
- :mod:`.widgets`: the notebook's interactive views.
- :mod:`.exercises`: the notebook's "Your turn" checkers.
"""
