"""course_utils: the tested helper package behind the "All about Autoencoders" course.

The notebooks teach; this package serves them. The core, at the top, is what several chapters use:
data loading, models, reference losses, the training loop, checkpoints, recipes, plots, widgets (every
live widget is a ``widgets.live_widget``) and the randomness convention (``randomness``: a ``seed`` for
a whole experiment, a ``generator`` for one step). Each chapter's own helpers live in its subpackage
(``ch1_mle`` ... ``ch5_vae``); the teacher's tools in ``classroom``. Import what you need, e.g.

    from course_utils import data, models, losses, train, plots, widgets
    from course_utils.ch4_elbo import quadrature

The core never imports a chapter; a chapter imports the core and earlier chapters (tests/test_layout.py).
"""

from course_utils.config import FAST, seed_everything
from course_utils.device import get_device

__all__ = ["FAST", "seed_everything", "get_device"]
