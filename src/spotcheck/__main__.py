from spotcheck.cli import app

app(prog_name="spotcheck")
