"""Chapter 4, second half (notebook 05_vae): the variational autoencoder.

- :mod:`.gradient_estimators`: reparameterization vs score-function gradients and their variance.
"""
