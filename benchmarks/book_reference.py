"""The book's three-layer network, written the way the book writes it.

A reference for the classic facade: Tariq Rashid's *Make Your Own Neural
Network* trains one example at a time on column vectors with ``numpy.dot``,
with weights laid out (nodes of the next layer x nodes of this layer), no
biases and the sigmoid everywhere. This copy follows that algorithm step by
step so that ``glassnet.classic`` can be checked against it (same weights to
1e-10 after the same samples) and timed against it.

Two deliberate departures from the book's listing: the initial weights come
from a ``numpy.random.Generator`` passed in (the house forbids the global
``numpy.random`` state), and the benchmark overwrites them anyway with the
facade's, so both start equal.
"""

from __future__ import annotations

import numpy

try:  # the book's sigmoid
    from scipy.special import expit as _sigmoid

    SIGMOID = "scipy.special.expit"
except ImportError:  # pragma: no cover - scipy comes with scikit-learn
    def _sigmoid(x):
        return 1.0 / (1.0 + numpy.exp(-x))

    SIGMOID = "1 / (1 + numpy.exp(-x))"


class neuralNetwork:  # noqa: N801 - the book's name
    """input -> hidden -> output, sigmoid activations, online gradient descent.

    Parameters
    ----------
    inputnodes, hiddennodes, outputnodes : layer sizes
    learningrate : step size of each ``train`` call
    rng : generator for the initial weights, drawn from N(0, 1/sqrt(nodes feeding in))
    """

    def __init__(self, inputnodes, hiddennodes, outputnodes, learningrate, rng=None):
        self.inodes = inputnodes
        self.hnodes = hiddennodes
        self.onodes = outputnodes
        rng = numpy.random.default_rng(rng)
        self.wih = rng.normal(0.0, pow(self.inodes, -0.5), (self.hnodes, self.inodes))
        self.who = rng.normal(0.0, pow(self.hnodes, -0.5), (self.onodes, self.hnodes))
        self.lr = learningrate
        self.activation_function = _sigmoid

    def train(self, inputs_list, targets_list):
        """One example: forward, errors, then both weight updates.

        E_o = T - O;  E_h = who.T . E_o  (computed before who changes);
        who += lr * (E_o * O * (1 - O)) . H.T;  wih += lr * (E_h * H * (1 - H)) . I.T
        """
        inputs = numpy.array(inputs_list, ndmin=2).T
        targets = numpy.array(targets_list, ndmin=2).T

        hidden_inputs = numpy.dot(self.wih, inputs)
        hidden_outputs = self.activation_function(hidden_inputs)
        final_inputs = numpy.dot(self.who, hidden_outputs)
        final_outputs = self.activation_function(final_inputs)

        output_errors = targets - final_outputs
        hidden_errors = numpy.dot(self.who.T, output_errors)

        self.who += self.lr * numpy.dot(output_errors * final_outputs * (1.0 - final_outputs),
                                        numpy.transpose(hidden_outputs))
        self.wih += self.lr * numpy.dot(hidden_errors * hidden_outputs * (1.0 - hidden_outputs),
                                        numpy.transpose(inputs))

    def query(self, inputs_list):
        """The output column for one input."""
        inputs = numpy.array(inputs_list, ndmin=2).T
        hidden_outputs = self.activation_function(numpy.dot(self.wih, inputs))
        return self.activation_function(numpy.dot(self.who, hidden_outputs))
