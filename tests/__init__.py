"""Cross-app tests: the scope walk over every route, the API walk, and browser tests."""
