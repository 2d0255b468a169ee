"""The exit codes of the ``streamcheck`` command (the contract in the README):
0 clean · 1 a finding at or above --fail-on · 2 usage or configuration error ·
3 a file could not be analysed (takes precedence over 1) · 130 interrupted."""

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_FAILED_FILES = 3
EXIT_INTERRUPTED = 130
