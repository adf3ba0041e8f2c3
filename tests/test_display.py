import glassnet as gn
from glassnet._display import Summary, network_html


def test_summary_is_its_text_and_shows_as_a_table():
    net = gn.mlp([2, 3, 2], seed=0)
    summary = Summary(net.summary(), network_html(net))
    assert summary == net.summary() and isinstance(summary, str)
    table = summary._repr_html_()
    assert table.startswith("<table class='glassnet-summary'>")
    assert table.count("<tr>") == 1 + len(net.layers)
    assert "Dense(n_in=2, n_out=3, bias=True, init=&#x27;he_uniform&#x27;)" in table
    assert "total parameters: 17" in table and "(None, 2)" in table


def test_pretty_printer_shows_the_text():
    class Printer:
        def __init__(self):
            self.out = []

        def text(self, s):
            self.out.append(s)

    net = gn.mlp([2, 2])
    printer = Printer()
    Summary(net.summary(), network_html(net))._repr_pretty_(printer, False)
    assert printer.out == [net.summary()]


def test_the_network_shows_as_a_table_and_its_summary_too():
    net = gn.mlp([2, 3, 2], seed=0)
    assert net._repr_html_() == network_html(net)
    summary = net.summary()
    assert isinstance(summary, Summary) and summary._repr_html_() == network_html(net)
    assert summary.startswith("#  layer")  # still the text table for print
