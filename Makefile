# Rollcall. The two commands most people need: `make run` and `make test`.
.PHONY: run test watch db-start db-stop clean-db bench load

## Serve Rollcall at http://127.0.0.1:3000 with its own database (installs what is missing).
run:
	@scripts/run.sh

## Run every check: format, clippy, unit and database tests, browser tests.
test:
	@scripts/test.sh

## Time the registers and figures on a 10-school benchmark trust (docs/benchmarks.md).
bench:
	@scripts/bench.sh

## 50 devices syncing and 20 office users browsing the real server for 3 minutes (docs/benchmarks.md).
load:
	@scripts/load.sh

## Rebuild and reload as files change, against the private database.
watch:
	@scripts/ensure-tools.sh
	@DATABASE_URL="$$(scripts/db.sh start)" cargo leptos watch

db-start:
	@scripts/db.sh start

## Stop the private PostgreSQL that `make run` and `make test` start.
db-stop:
	@scripts/db.sh stop
