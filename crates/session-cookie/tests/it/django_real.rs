//! Round trip with real Django, switched on by `SESSION_TEST_DJANGO_PYTHON`.
