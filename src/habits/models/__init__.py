"""Models the project builds itself (no hub is needed): the embedded tiny default."""
