"""One reader per bank format; each turns a file's bytes into a ``ReadResult``."""
