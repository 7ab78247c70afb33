//! The Django session_data codec.
