"""`python -m puente.cli`: the same as the `puente` command."""

from puente.cli.main import start

start()
