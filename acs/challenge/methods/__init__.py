"""Challenge methods: one module per method behind one interface (``base.Method``), chosen from
``registry``. Each method's session state is a tagged Struct in ``states`` (kept apart so the
session can decode every state without importing the methods)."""
