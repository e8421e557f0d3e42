"""Notebook 7, the VAE lab: β and rate–distortion, posterior collapse, the decoder's likelihood, uses."""

from course_utils.ch7_vae_lab import collapse, likelihoods, uses

__all__ = ["collapse", "likelihoods", "uses"]
