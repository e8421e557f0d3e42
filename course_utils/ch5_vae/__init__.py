"""Chapter 4, second half (notebook 05_vae): the variational autoencoder.

- :mod:`.gradient_estimators`: reparameterization vs score-function gradients and their variance.
- :mod:`.gaussian_decoder`: a VAE with a Gaussian decoder of fixed sigma ("sigma^2 is a beta in disguise").
- :mod:`.latent_use`: active units, the course's one count of the latent dimensions a VAE uses.
- :mod:`.widgets`: the notebook's live widgets (the model picker).
- :mod:`.exercises`: the notebook's "Your turn" checkers.
"""
