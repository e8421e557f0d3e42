"""Chapter 1 (notebook 01_mle_and_mse): deep networks as maximum likelihood, and the MSE pitfall.

- :mod:`.neuron`: one sigmoid neuron trained with MSE and cross-entropy (the saturation plateau).
- :mod:`.likelihood`: the Gaussian and Bernoulli outputs' NLLs (MSE and cross-entropy as NLLs).
- :mod:`.mse_pitfall`: erasing and shifting digits, Doersch's "broken vs shifted digit" measurement.
- :mod:`.widgets`: the notebook's live widgets (the neuron, the two likelihoods, the MSE pitfall).
- :mod:`.exercises`: the notebook's "Your turn" checkers.
"""
