"""Chapter 4, second half (notebook 05_vae): the variational autoencoder.

- :mod:`.gradient_estimators`: reparameterization vs score-function gradients and their variance.
- :mod:`.gaussian_decoder`: a VAE with a Gaussian decoder of fixed sigma ("sigma^2 is a beta in disguise").
- :mod:`.vae_widgets`: the notebook's live widgets (the model picker).
"""
