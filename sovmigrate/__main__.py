from sovmigrate.cli import run

run()
