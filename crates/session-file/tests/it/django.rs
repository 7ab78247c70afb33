//! Django mode: Django's file names, raw contents, expiry from mtime + cookie age.
