"""``python -m skexplain`` and the ``skexplain`` console script.

Both run the command line of :mod:`skexplain.audit._cli`: without arguments
they audit the embedded demo (a Pipeline fitted on the diabetes data with
``sex`` as a string column) and write ``report.html``; ``skexplain audit
--model PATH --data CSV`` audits your model. ``skexplain audit --help`` lists
the options and the exit codes.
"""
import sys


def main(argv=None):
    """Run the command line; returns the exit status (see ``skexplain audit --help``)."""
    from skexplain.audit._cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
