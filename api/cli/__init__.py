"""The ``outreach`` command line. Each module in this package adds its commands via ``register(app)``."""
