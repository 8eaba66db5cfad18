// Server tests.
