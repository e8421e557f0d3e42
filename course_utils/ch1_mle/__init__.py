"""Chapter 1 (notebook 01_mle_and_mse): deep networks as maximum likelihood, and the MSE pitfall.

- :mod:`.neuron`: one sigmoid neuron trained with MSE and cross-entropy (the saturation plateau).
- :mod:`.likelihood`: the Gaussian and Bernoulli output widgets (MSE and cross-entropy as NLLs).
- :mod:`.mse_pitfall`: erasing and shifting digits, Doersch's "broken vs shifted digit" measurement.
"""
