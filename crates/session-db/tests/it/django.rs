//! Interop with a real Django (switched on by `SESSION_TEST_DJANGO_PYTHON`).
