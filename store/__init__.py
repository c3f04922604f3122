"""The store: its schema, the one writer for every table, the reader (frames at a data version), the writer lock
and the watermark state. It imports only the domain."""
