//! RedisStore tests (written next).
