"""The registration report: tenant figures, joiner cohort, trend, CSV, rendering, history.

Pure parts (figures, cohort, trend, csv_export, fanout, failure, render) do no I/O;
`snapshots` talks to a BlobStore port. The use case composing them is
`shared.usecases.build_report`.
"""
