"""Pictures of data, decision boundaries, training curves and what a network learned.

Every function returns a ``matplotlib.figure.Figure`` built with the
object-oriented API (``Figure()``, never ``pyplot``): nothing is shown, no
display or GUI backend is needed, and no figure lingers in a global registry.
Pass ``path="name.png"`` to also save the picture as a PNG; the file appears
whole or not at all (written beside the destination, then renamed).

matplotlib is optional and imported only when a function is called::

    pip install 'glassnet[plot]'

The functions live in ``points`` (two-dimensional data and decision
boundaries), ``training`` (curves, confusion matrix), ``images``
(misclassified samples, first-layer weights, backquery), ``animation`` (the
decision boundary over training, as a GIF), ``capacity`` (accuracy against
hidden units) and ``inside`` (what any network imagines, its hidden units), ``conv`` (a
convolutional network's filters and feature maps) and ``sliding`` (one
filter sliding over a picture, as a GIF);
``_figure`` holds what they share. In Jupyter a returned figure is drawn as
a picture, with no ``%matplotlib`` magic.

Examples
--------
>>> from glassnet import mlp, plots
>>> from glassnet.datasets import make_moons
>>> X, y = make_moons(200, noise=0.2, seed=0)
>>> net = mlp([2, 16, 2], seed=0)
>>> history = net.fit(X, y, epochs=5, validation_split=0.2, verbose=0)
>>> fig = plots.plot_decision_boundary(net, X, y)
>>> fig = plots.plot_history(history)
"""

from ._figure import DPI as DPI
from ._figure import require_matplotlib as require_matplotlib

# These train a network and return a result that shows itself in Jupyter
# (a GIF, a table with .plot()), not a Figure: importable, but not in
# __all__, which lists the functions that return a Figure.
from .animation import BoundaryAnimation as BoundaryAnimation
from .animation import boundary_animation as boundary_animation
from .capacity import CapacitySweep as CapacitySweep
from .capacity import capacity_sweep as capacity_sweep
from .capacity import plot_capacity_sweep
from .conv import plot_conv_filters, plot_feature_maps
from .images import plot_backquery, plot_first_layer_weights, plot_misclassified
from .inside import plot_hidden_activations, plot_imagined, plot_strongest_inputs
from .points import plot_dataset, plot_decision_boundary
from .training import plot_confusion_matrix, plot_history

__all__ = [
    "plot_backquery",
    "plot_capacity_sweep",
    "plot_confusion_matrix",
    "plot_conv_filters",
    "plot_dataset",
    "plot_decision_boundary",
    "plot_feature_maps",
    "plot_first_layer_weights",
    "plot_hidden_activations",
    "plot_history",
    "plot_imagined",
    "plot_misclassified",
    "plot_strongest_inputs",
]
