"""course_utils: the tested helper package behind the "All about Autoencoders" course.

The notebooks teach; this package serves them. The core, at the top, is what several chapters use: data
loading, models, reference losses, the training loop, checkpoints, recipes, plots, widgets (every live
widget is a ``widgets.LiveWidget``), measured claims (``claims``), the course's two languages (``i18n``:
English and Korean), the randomness convention (``randomness``: a ``seed`` for a whole experiment, a
``generator`` for one step) and the engine of the "Your turn" checkers (``exercises``). Each notebook's own
helpers live in its subpackage, its live widgets in ``chK_name.widgets`` and its checkers in
``chK_name.exercises``:

- ``ch1_mle``: notebook 1, deep networks as maximum likelihood and the MSE pitfall;
- ``ch2_manifold``: notebook 2, the curse of dimensionality and manifold learning;
- ``ch3_autoencoders``: notebook 3, the autoencoder, denoising, contractive and stacked;
- ``ch4_elbo``: notebook 4, the generative model and the ELBO, verified numerically;
- ``ch5_vae``: notebook 5, the variational autoencoder;
- ``ch6_conditional``: notebook 6, the conditional VAE, M2 and the adversarial autoencoder;
- ``ch7_vae_lab``: notebook 7, the VAE lab (β, posterior collapse, likelihoods, uses);
- ``ch8_beyond_pixels``: notebook 8, structured output, the VAE/GAN and the autoencoder as a compressor;
- ``classroom``: the teacher's tools (student and HTML copies, the Korean edition).

Import what you need, e.g.

    from course_utils import data, models, losses, train, plots, widgets
    from course_utils.ch4_elbo import quadrature
    from course_utils.ch4_elbo import widgets as elbo_widgets
    from course_utils.ch4_elbo import exercises

The core never imports a chapter or the classroom; a chapter imports the core and earlier chapters; the
classroom imports anything (tests/test_layout.py).
"""

from course_utils.config import FAST, seed_everything
from course_utils.device import get_device

__all__ = ["FAST", "seed_everything", "get_device"]
